// JsonWriter: appends compact JSON to a std::string, fast and exact.
//
// Strings are escaped per RFC 8259 (", \ and the control characters below
// 0x20; DEL and non-ASCII bytes pass through, so UTF-8 stays UTF-8 — the
// caller guarantees it is valid). Numbers are 64-bit integers, written
// exactly: bangdan has no floating point on the wire.
//
// Commas are placed automatically: Key() and every value know whether they
// are the first inside their object or array.
//
//   JsonWriter w(&out);
//   w.BeginObject().Key("type").String("ack").Key("seq").Uint(7).EndObject();
//
// Thread safety: none; one writer per string.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace bangdan {

class JsonWriter {
 public:
  explicit JsonWriter(std::string* out) : out_(out) {}

  JsonWriter& BeginObject() { Separate(); out_->push_back('{'); Push(); return *this; }
  JsonWriter& EndObject() { Pop(); out_->push_back('}'); return *this; }
  JsonWriter& BeginArray() { Separate(); out_->push_back('['); Push(); return *this; }
  JsonWriter& EndArray() { Pop(); out_->push_back(']'); return *this; }

  // The next value is this key's.
  JsonWriter& Key(std::string_view k);
  JsonWriter& String(std::string_view s);
  JsonWriter& Int(int64_t v);
  JsonWriter& Uint(uint64_t v);
  JsonWriter& Bool(bool v);
  JsonWriter& Null();
  // Already-serialized JSON (a client's echoed batch value, a cached view).
  JsonWriter& Raw(std::string_view json);

 private:
  void Separate();
  void Push();
  void Pop();

  std::string* out_;
  // One bit per nesting level (up to 64): set once the level holds an item.
  uint64_t has_item_ = 0;
  int depth_ = 0;
  bool after_key_ = false;
};

// Appends `s` as a quoted, escaped JSON string.
void AppendJsonString(std::string* out, std::string_view s);

}  // namespace bangdan
