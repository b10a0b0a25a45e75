#include "ack.h"

#include <charconv>

#include <simdjson.h>

namespace bangdan::loadgen {

Status ParseAck(std::string_view text, std::string* scratch, Ack* out) {
  // One parser per thread: it owns buffers sized to the largest message seen.
  thread_local simdjson::ondemand::parser parser;
  scratch->assign(text);
  scratch->append(simdjson::SIMDJSON_PADDING, ' ');
  *out = Ack();
  simdjson::ondemand::document doc;
  auto bad = [&](const char* what) {
    return Status::Corruption(std::string("unreadable ack (") + what + "): " + std::string(text.substr(0, 200)));
  };
  if (parser.iterate(scratch->data(), text.size(), scratch->size()).get(doc)) return bad("not JSON");
  simdjson::ondemand::object obj;
  if (doc.get_object().get(obj)) return bad("not an object");
  for (auto field : obj) {
    std::string_view key;
    if (field.unescaped_key().get(key)) return bad("key");
    simdjson::ondemand::value value = field.value();
    if (key == "type") {
      std::string_view type;
      if (value.get_string().get(type)) return bad("type");
      out->is_error = type == "error";
      if (type != "ack" && type != "error") return bad("type");
    } else if (key == "batch") {
      uint64_t b;
      if (!value.get_uint64().get(b)) out->batch = b;
    } else if (key == "accepted") {
      uint64_t v;
      if (value.get_uint64().get(v)) return bad("accepted");
      out->accepted = static_cast<uint32_t>(v);
    } else if (key == "duplicates") {
      uint64_t v;
      if (value.get_uint64().get(v)) return bad("duplicates");
      out->duplicates = static_cast<uint32_t>(v);
    } else if (key == "seq") {
      if (value.get_uint64().get(out->seq)) return bad("seq");
    } else if (key == "error") {
      std::string_view e;
      if (!value.get_string().get(e)) out->error = std::string(e);
    } else if (key == "rejected") {
      simdjson::ondemand::array arr;
      if (value.get_array().get(arr)) return bad("rejected");
      for (auto item : arr) {
        simdjson::ondemand::object r;
        if (item.get_object().get(r)) return bad("rejected item");
        uint64_t index = 0;
        std::string_view error;
        for (auto rf : r) {
          std::string_view rk;
          if (rf.unescaped_key().get(rk)) return bad("rejected key");
          if (rk == "index") {
            if (rf.value().get_uint64().get(index)) return bad("rejected index");
          } else if (rk == "error") {
            if (rf.value().get_string().get(error)) return bad("rejected error");
          }
        }
        if (out->rejected.empty()) out->first_rejection = std::string(error);
        out->rejected.push_back(static_cast<uint32_t>(index));
      }
    }
  }
  return Status::OK();
}

bool FindUnsignedField(std::string_view text, std::string_view name, uint64_t* out) {
  std::string pattern;
  pattern.append("\"").append(name).append("\":");
  size_t at = text.find(pattern);
  if (at == std::string_view::npos) return false;
  size_t pos = at + pattern.size();
  while (pos < text.size() && text[pos] == ' ') ++pos;
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(text.data() + pos, text.data() + text.size(), v);
  if (ec != std::errc() || end == text.data() + pos) return false;
  *out = v;
  return true;
}

}  // namespace bangdan::loadgen
