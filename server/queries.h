// Queries: the read endpoints of SPEC §4 — a board page (JSON or the whole
// board as CSV), one entry with its neighbours, the grand totals.
//
// Each function validates the decoded parameters first (400 naming the
// parameter), then asks the engine under `engine_mu` and formats the answer.
// Parameter decisions (documented in docs/protocol.md): unknown parameters
// and parameters given twice are 400s; `token` is always allowed (it is the
// read token's carrier); `limit` is 0 … 1000 (default 10); `offset` any
// unsigned 64-bit number (default 0); with `format=csv` both are ignored
// unchecked (the whole board).
#pragma once

#include <cstdint>
#include <mutex>

#include "bangdan/engine.h"
#include "http_router.h"

namespace bangdan {

// True for a board request with `format=csv`: the whole board, answered off
// the I/O threads and a few at a time (HttpSession).
bool IsCsvDownload(const RoutedRequest& req);

HttpAnswer AnswerBoard(Engine& engine, std::mutex& engine_mu, const RoutedRequest& req, int64_t now_ms);
HttpAnswer AnswerEntry(Engine& engine, std::mutex& engine_mu, const RoutedRequest& req, int64_t now_ms);
HttpAnswer AnswerTotals(Engine& engine, std::mutex& engine_mu, const RoutedRequest& req, int64_t now_ms);

// Appends `field` to a CSV line, quoted per RFC 4180 when it holds a comma,
// a double quote, CR or LF (quotes doubled).
void AppendCsvField(std::string* out, std::string_view field);

}  // namespace bangdan
