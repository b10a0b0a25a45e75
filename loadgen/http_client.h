// HttpClient: blocking HTTP/1.1 GETs over one keep-alive connection, for the
// queries of --verify (SPEC §4). Reconnects once if the server closed the
// connection between requests.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "bangdan/status.h"

namespace bangdan::loadgen {

class HttpClient {
 public:
  HttpClient(std::string host, uint16_t port, std::string bearer_token);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // GET `target` ("/v1/totals?window=total"). A transport failure is an
  // IOError; any HTTP status comes back in *status with the body.
  Status Get(const std::string& target, int* status, std::string* body);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Percent-encodes a query value or path segment (UTF-8 bytes → %XX).
std::string PercentEncode(std::string_view s);

}  // namespace bangdan::loadgen
