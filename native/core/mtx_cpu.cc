#include "mtx.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <utility>

namespace sad::mtx {

namespace {

constexpr int64_t kMaxIndex = 2147483647;        // int32 indices
constexpr int64_t kMaxStored = 2147483647;       // int32 indptr
constexpr size_t kMaxLine = size_t{1} << 20;     // longest data / header line kept
constexpr size_t kMaxCommentBytes = 64 * 1024;   // header comments kept for display
constexpr size_t kFirstBlock = 4096;             // entries; blocks double up to kMaxBlock
constexpr size_t kMaxBlock = size_t{1} << 18;

inline bool is_ws(char c) { return c == ' ' || c == '\t' || c == '\r'; }
inline bool is_sep(char c) { return is_ws(c) || c == '\n'; }
inline const char* skip_ws(const char* q) {
  while (is_ws(*q)) ++q;
  return q;
}
// The token starting at q (ends at whitespace or the line's end), quoted and
// shortened for messages.
std::string token_at(const char* q) {
  const char* e = q;
  while (!is_sep(*e)) ++e;
  std::string t(q, std::min<size_t>(e - q, 40));
  if (static_cast<size_t>(e - q) > 40) t += "...";
  for (char& c : t)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  return t;
}
std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}
std::vector<std::string> split_ws(const char* b, const char* e) {
  std::vector<std::string> out;
  const char* p = b;
  while (p < e) {
    while (p < e && is_ws(*p)) ++p;
    const char* s = p;
    while (p < e && !is_ws(*p)) ++p;
    if (p > s) out.emplace_back(s, p);
  }
  return out;
}
std::string quoted_line(const char* b, const char* e) {
  std::string s(b, std::min<size_t>(e - b, 60));
  while (!s.empty() && is_ws(s.back())) s.pop_back();
  for (char& c : s)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  if (static_cast<size_t>(e - b) > 60) s += "...";
  return s;
}

// An integer token of the size line: sign and digits only, saturating beyond 19 digits.
bool parse_int_token(const std::string& t, int64_t& v, bool& overflow) {
  size_t k = 0;
  bool neg = false;
  if (k < t.size() && (t[k] == '+' || t[k] == '-')) neg = t[k++] == '-';
  if (k == t.size()) return false;
  overflow = false;
  int64_t x = 0;
  for (; k < t.size(); ++k) {
    if (t[k] < '0' || t[k] > '9') return false;
    if (x > (int64_t{1} << 58)) overflow = true;
    else x = x * 10 + (t[k] - '0');
  }
  v = neg ? -x : x;
  return true;
}

// For a decimal that std::from_chars found out of range: whether it is too large
// (rather than too small). Its magnitude is 10^(digits before the point, after
// leading zeros, + exponent), far from 10^0 either way. Locale-independent, unlike strtod.
bool decimal_overflows(const char* b, const char* e) {
  const char* p = b;
  if (p < e && *p == '-') ++p;
  int64_t mag = 0;
  bool seen = false;  // a nonzero digit
  for (; p < e && *p >= '0' && *p <= '9'; ++p) {
    if (*p != '0') seen = true;
    if (seen) ++mag;
  }
  if (p < e && *p == '.') {
    for (++p; p < e && *p >= '0' && *p <= '9'; ++p) {
      if (seen) continue;
      if (*p != '0') seen = true;
      else --mag;
    }
  }
  int64_t exp = 0;
  if (p < e && (*p == 'e' || *p == 'E')) {
    ++p;
    bool neg = false;
    if (p < e && (*p == '+' || *p == '-')) neg = *p++ == '-';
    for (; p < e && *p >= '0' && *p <= '9'; ++p) exp = std::min<int64_t>(exp * 10 + (*p - '0'), int64_t{1} << 40);
    if (neg) exp = -exp;
  }
  return mag + exp > 0;
}

}  // namespace

const char* format_name(Format f) { return f == Format::coordinate ? "coordinate" : "array"; }
const char* field_name(Field f) {
  switch (f) {
    case Field::real: return "real";
    case Field::integer: return "integer";
    case Field::complex: return "complex";
    case Field::pattern: return "pattern";
  }
  return "?";
}
const char* symmetry_name(Symmetry s) {
  switch (s) {
    case Symmetry::general: return "general";
    case Symmetry::symmetric: return "symmetric";
    case Symmetry::skew: return "skew-symmetric";
    case Symmetry::hermitian: return "hermitian";
  }
  return "?";
}
const char* code_name(Code c) {
  switch (c) {
    case Code::bad_banner: return "bad_banner";
    case Code::bad_size: return "bad_size";
    case Code::index_out_of_range: return "index_out_of_range";
    case Code::nnz_mismatch: return "nnz_mismatch";
    case Code::unexpected_eof: return "unexpected_eof";
    case Code::bad_number: return "bad_number";
    case Code::bad_entry: return "bad_entry";
    case Code::unsupported: return "unsupported";
    case Code::limit: return "limit";
  }
  return "?";
}

Parser::Parser(Options opts) : opts_(opts) {}
Parser::~Parser() = default;

void Parser::release() {
  blocks_.clear();
  blocks_.shrink_to_fit();
  std::string().swap(carry_);
}

void Parser::error_at(Code c, int64_t line, std::string what) {
  failure_ = std::make_unique<ParseError>(c, std::max<int64_t>(line, 1), std::move(what));
  state_ = State::failed;
  release();
  throw *failure_;
}
void Parser::error(Code c, std::string what) { error_at(c, line_ + 1, std::move(what)); }

void Parser::new_block() {
  size_t cap = blocks_.empty() ? kFirstBlock : std::min(blocks_.back().cap * 2, kMaxBlock);
  Block b;
  b.row.reset(new index_t[cap]);  // not value-initialised: pages are touched as entries arrive
  b.col.reset(new index_t[cap]);
  if (header_.field != Field::pattern) b.val.reset(new double[cap]);
  b.cap = cap;
  blocks_.push_back(std::move(b));
}

// ---- feeding ---------------------------------------------------------------

void Parser::feed(const char* data, size_t n) {
  if (state_ == State::failed) throw *failure_;
  if (state_ == State::finished) fail("MatrixMarket parser: feed() after finish()");
  // In pieces of at most kMaxLine bytes, so that every line longer than that
  // passes through the carry, where the limit is enforced: the outcome does not
  // depend on how the input was cut into chunks.
  for (size_t at = 0; at < n; at += kMaxLine) feed_piece(data + at, std::min(kMaxLine, n - at));
}

// A line longer than kMaxLine, as its carried start [b, e) and what follows in
// this piece [more, more_end): skipped when it is a comment (after the banner),
// an error otherwise. The leading whitespace may run past the carry, so the
// first character is looked for within the line's first kMaxLine + 1 bytes,
// which carry and piece always hold: where the chunks were cut does not matter.
void Parser::long_line(const char* b, const char* e, const char* more, const char* more_end) {
  while (b < e && is_ws(*b)) ++b;
  if (b == e) {
    b = more;
    e = more + std::min<size_t>(more_end - more, kMaxLine + 1 - carry_.size());
    while (b < e && is_ws(*b)) ++b;
  }
  if (b < e && *b == '%' && state_ != State::banner) {
    in_long_comment_ = true;
    std::string().swap(carry_);
    return;
  }
  error(Code::limit, "line is longer than " + std::to_string(kMaxLine) + " bytes");
}

void Parser::feed_piece(const char* p, size_t n) {
  const char* end = p + n;
  // Complete the carried line first.
  if (!carry_.empty() || in_long_comment_) {
    const char* nl = static_cast<const char*>(std::memchr(p, '\n', n));
    if (in_long_comment_) {
      if (!nl) return;
      in_long_comment_ = false;
      ++line_;
    } else {
      const size_t add = nl ? static_cast<size_t>(nl - p) : n;  // line bytes, without the newline
      if (carry_.size() + add > kMaxLine) {
        long_line(carry_.data(), carry_.data() + carry_.size(), p, p + add);
        if (!nl) return;
        in_long_comment_ = false;
        ++line_;
      } else if (!nl) {
        carry_.append(p, n);
        return;
      } else {
        carry_.append(p, nl + 1 - p);
        process(carry_.data(), carry_.data() + carry_.size());
        carry_.clear();
      }
    }
    p = nl + 1;
  }
  if (p == end) return;
  // Whole lines straight from the caller's buffer (each shorter than the piece);
  // keep the unfinished tail.
  const char* last = static_cast<const char*>(memrchr(p, '\n', end - p));
  if (last) {
    process(p, last + 1);
    p = last + 1;
  }
  if (p < end) carry_.assign(p, end - p);
}

void Parser::finish() {
  if (state_ == State::failed) throw *failure_;
  if (state_ == State::finished) return;
  if (in_long_comment_) {
    in_long_comment_ = false;
    ++line_;
  } else if (!carry_.empty()) {
    carry_.push_back('\n');  // a last line without its newline
    process(carry_.data(), carry_.data() + carry_.size());
    std::string().swap(carry_);
  }
  const int64_t last_line = std::max<int64_t>(line_, 1);
  switch (state_) {
    case State::banner:
      error_at(Code::bad_banner, 1, "empty file (expected a '%%MatrixMarket matrix <format> <field> <symmetry>' banner)");
    case State::size:
      error_at(Code::bad_size, last_line, "no size line before the end of the file");
    default:
      break;
  }
  const char* what = header_.format == Format::array ? "values" : "entries";
  if (read_ < header_.entries)
    error_at(Code::unexpected_eof, last_line,
             "unexpected end of file: expected " + std::to_string(header_.entries) + " " + what + ", found " +
                 std::to_string(read_));
  if (extra_ > 0)
    error_at(Code::nnz_mismatch, first_extra_line_,
             "the size line declares " + std::to_string(header_.entries) + " " + what + " but " +
                 std::to_string(header_.entries + extra_) + " are present (the first extra one is on this line)");
  state_ = State::finished;
}

void Parser::process(const char* p, const char* end) {
  while (p < end) {
    if (state_ == State::data) {
      const bool arr = header_.format == Format::array;
      switch (header_.field) {
        case Field::real: p = arr ? data_lines<Field::real, true>(p, end) : data_lines<Field::real, false>(p, end); break;
        case Field::integer: p = arr ? data_lines<Field::integer, true>(p, end) : data_lines<Field::integer, false>(p, end); break;
        case Field::complex: p = arr ? data_lines<Field::complex, true>(p, end) : data_lines<Field::complex, false>(p, end); break;
        case Field::pattern: p = data_lines<Field::pattern, false>(p, end); break;
      }
      continue;
    }
    const char* nl = static_cast<const char*>(std::memchr(p, '\n', end - p));
    line(p, nl);
    ++line_;
    p = nl + 1;
  }
}

void Parser::line(const char* b, const char* e) {
  if (state_ == State::banner) return banner_line(b, e);
  // Before the size line: comments and blank lines.
  const char* q = b;
  while (q < e && is_ws(*q)) ++q;
  if (q == e) return;
  if (*q == '%') {
    if (header_.comments.size() < 1000 && comment_bytes_ < kMaxCommentBytes) {
      std::string c(q + 1, e);
      while (!c.empty() && is_ws(c.back())) c.pop_back();
      comment_bytes_ += c.size();
      header_.comments.push_back(std::move(c));
    } else {
      header_.comments_truncated = true;
    }
    return;
  }
  size_line(b, e);
}

// ---- header ----------------------------------------------------------------

void Parser::banner_line(const char* b, const char* e) {
  if (e - b >= 3 && std::memcmp(b, "\xEF\xBB\xBF", 3) == 0) b += 3;  // a UTF-8 byte order mark
  if (e - b < 2 || b[0] != '%' || b[1] != '%')
    error(Code::bad_banner, e == b || skip_ws(b) >= e
                                ? std::string("first line is empty, not a '%%MatrixMarket' banner")
                                : "first line is not a '%%MatrixMarket' banner (it reads '" + quoted_line(b, e) + "')");
  auto tok = split_ws(b, e);
  if (lower(tok[0]) != "%%matrixmarket")
    error(Code::bad_banner, "unknown banner token '" + quoted_line(tok[0].data(), tok[0].data() + tok[0].size()) +
                                "' (expected '%%MatrixMarket')");
  if (tok.size() != 5)
    error(Code::bad_banner, "banner has " + std::to_string(tok.size()) +
                                " tokens, 5 required ('%%MatrixMarket matrix <format> <field> <symmetry>')");
  auto word = [](const std::string& s) { return quoted_line(s.data(), s.data() + s.size()); };
  std::string object = lower(tok[1]), format = lower(tok[2]), field = lower(tok[3]), symmetry = lower(tok[4]);
  if (object != "matrix") error(Code::bad_banner, "unsupported object '" + word(tok[1]) + "' (only 'matrix' is supported)");
  if (format == "coordinate") header_.format = Format::coordinate;
  else if (format == "array") header_.format = Format::array;
  else error(Code::bad_banner, "unknown format '" + word(tok[2]) + "' (coordinate|array)");
  if (field == "real") header_.field = Field::real;
  else if (field == "integer") header_.field = Field::integer;
  else if (field == "complex") header_.field = Field::complex;
  else if (field == "pattern") header_.field = Field::pattern;
  else if (field == "double" && opts_.allow_double_field) header_.field = Field::real;
  else error(Code::bad_banner, "unknown field '" + word(tok[3]) + "' (real|integer|complex|pattern)");
  if (symmetry == "general") header_.symmetry = Symmetry::general;
  else if (symmetry == "symmetric") header_.symmetry = Symmetry::symmetric;
  else if (symmetry == "skew-symmetric") header_.symmetry = Symmetry::skew;
  else if (symmetry == "hermitian") header_.symmetry = Symmetry::hermitian;
  else error(Code::bad_banner, "unknown symmetry '" + word(tok[4]) + "' (general|symmetric|skew-symmetric|hermitian)");
  if (header_.format == Format::array && header_.field == Field::pattern)
    error(Code::bad_banner, "field 'pattern' is not allowed with format 'array'");
  if (header_.field == Field::pattern && (header_.symmetry == Symmetry::skew || header_.symmetry == Symmetry::hermitian))
    error(Code::bad_banner, std::string("symmetry '") + symmetry_name(header_.symmetry) + "' is not allowed with field 'pattern'");
  if (header_.symmetry == Symmetry::hermitian && header_.field != Field::complex)
    error(Code::bad_banner, std::string("symmetry 'hermitian' requires field 'complex' (here '") + field_name(header_.field) + "')");
  if (header_.field == Field::complex && !opts_.complex_real)
    error(Code::unsupported, "complex matrices are not read by default (the engine is real-valued); "
                             "pass the option complex: 'real' to read the real part");
  state_ = State::size;
}

void Parser::size_line(const char* b, const char* e) {
  auto tok = split_ws(b, e);
  const bool coord = header_.format == Format::coordinate;
  const size_t need = coord ? 3 : 2;
  if (tok.size() != need)
    error(Code::bad_size, std::string(coord ? "coordinate" : "array") + " size line has " + std::to_string(tok.size()) +
                              (tok.size() == 1 ? " number, " : " numbers, ") + std::to_string(need) +
                              (coord ? " required (rows columns entries)" : " required (rows columns)"));
  int64_t v[3] = {0, 0, 0};
  const char* names[3] = {"row count", "column count", "entry count"};
  for (size_t k = 0; k < need; ++k) {
    bool overflow = false;
    std::string t = quoted_line(tok[k].data(), tok[k].data() + tok[k].size());
    if (!parse_int_token(tok[k], v[k], overflow)) error(Code::bad_size, std::string(names[k]) + " '" + t + "' is not an integer");
    if (v[k] < 0 || (overflow && tok[k][0] == '-')) error(Code::bad_size, std::string(names[k]) + " " + t + " is negative");
    if (overflow || v[k] > kMaxIndex)
      error(Code::bad_size, std::string(names[k]) + " " + t + " does not fit in a 32-bit index (at most 2147483647)");
  }
  header_.rows = v[0];
  header_.cols = v[1];
  if (header_.symmetry != Symmetry::general && header_.rows != header_.cols)
    error(Code::bad_size, std::string(symmetry_name(header_.symmetry)) + " matrix must be square but the size line gives " +
                              std::to_string(header_.rows) + " x " + std::to_string(header_.cols));
  if (header_.rows > opts_.max_rows)
    error(Code::limit, "row count " + std::to_string(header_.rows) + " exceeds the limit of " +
                           std::to_string(opts_.max_rows) + " rows (raise maxRows to read this file)");
  if (coord) {
    header_.entries = v[2];
  } else {
    const int64_t n = header_.rows;
    switch (header_.symmetry) {
      case Symmetry::general: header_.entries = header_.rows * header_.cols; break;
      case Symmetry::skew: header_.entries = n * (n - 1) / 2; break;
      default: header_.entries = n * (n + 1) / 2; break;
    }
    if (header_.entries > kMaxStored)
      error(Code::limit, "array of " + std::to_string(header_.rows) + " x " + std::to_string(header_.cols) +
                             " holds more than 2147483647 values (the CSR indices are 32-bit)");
    if (header_.symmetry == Symmetry::skew) arr_i_ = 1;
  }
  state_ = State::data;
}

// ---- data lines (the hot loop) ---------------------------------------------

// The unusual and the wrong tokens, out of the hot loop: each takes the token's
// start and either reads it or throws the error that names it.
__attribute__((noinline, cold)) const char* Parser::slow_index(const char* s, int64_t limit, const char* which, int64_t& out) {
  const char* q = s;
  bool neg = false;
  if (*q == '+' || *q == '-') neg = *q++ == '-';
  const char* d = q;
  uint64_t v = 0;
  while (static_cast<unsigned>(*q - '0') < 10u) {
    if (v < (uint64_t{1} << 40)) v = v * 10 + static_cast<unsigned>(*q - '0');
    ++q;
  }
  if (q == d || !is_sep(*q)) error(Code::bad_number, std::string(which) + " index '" + token_at(s) + "' is not an integer");
  if (neg || v < 1 || v > static_cast<uint64_t>(limit))
    error(Code::index_out_of_range, std::string(which) + " index " + token_at(s) + " is outside 1.." + std::to_string(limit) +
                                        (v == 0 && !neg ? " (MatrixMarket indices are 1-based)" : ""));
  out = static_cast<int64_t>(v) - 1;
  return q;
}

__attribute__((noinline, cold)) const char* Parser::slow_integer(const char* s, const char* which, double& out) {
  const char* q = s;
  bool neg = false;
  if (*q == '+' || *q == '-') neg = *q++ == '-';
  const char* d = q;
  uint64_t u = 0;
  bool big = false;
  while (static_cast<unsigned>(*q - '0') < 10u) {
    if (u <= (uint64_t{1} << 53)) u = u * 10 + static_cast<unsigned>(*q - '0');
    if (u > (uint64_t{1} << 53)) big = true;
    ++q;
  }
  if (q == d || !is_sep(*q)) error(Code::bad_number, std::string(which) + " '" + token_at(s) + "' is not an integer (field integer)");
  if (big) error(Code::bad_number, std::string(which) + " " + token_at(s) + " is outside +-2^53, where integers stop being exact doubles");
  out = neg ? -static_cast<double>(u) : static_cast<double>(u);
  return q;
}

__attribute__((noinline, cold)) const char* Parser::slow_real(const char* s, const char* end, const char* which, double& out) {
  const char* q = s;
  if (*q == '+') {
    ++q;
    if (*q == '+' || *q == '-') error(Code::bad_number, std::string(which) + " '" + token_at(s) + "' is not a number");
  }
  double v = 0;
  auto r = std::from_chars(q, end, v, std::chars_format::general);
  if ((r.ec == std::errc() || r.ec == std::errc::result_out_of_range) && !is_sep(*r.ptr)) {
    error(Code::bad_number, std::string(which) + " '" + token_at(s) + "' is not a number");
  } else if (r.ec == std::errc::result_out_of_range) {
    if (decimal_overflows(q, r.ptr)) error(Code::bad_number, std::string(which) + " " + token_at(s) + " is too large for a double");
    v = *q == '-' ? -0.0 : 0.0;  // below the smallest subnormal: rounds to zero, as strtod gives
  } else if (r.ec != std::errc()) {
    error(Code::bad_number, std::string(which) + " '" + token_at(s) + "' is not a number");
  }
  if (!std::isfinite(v) && !opts_.allow_nonfinite)
    error(Code::bad_number, std::string(which) + " '" + token_at(s) +
                                "' is not finite (NaN and Inf are rejected unless the nonFinite option accepts them)");
  out = v;
  return r.ptr;
}


template <Field F, bool Array>
const char* Parser::data_lines(const char* p, const char* end) {
  const int64_t rows = header_.rows, cols = header_.cols, want = header_.entries;
  const Symmetry sym = header_.symmetry;
  constexpr int kFields = (Array ? 0 : 2) + (F == Field::pattern ? 0 : F == Field::complex ? 2 : 1);

  // Messages for a line whose field count is wrong (counted from its start).
  auto wrong_fields = [&](const char* b) {
    int n = 0;
    for (const char* q = b; *q != '\n';) {
      while (is_ws(*q)) ++q;
      if (*q == '\n') break;
      ++n;
      while (!is_sep(*q)) ++q;
    }
    const char* what = Array ? (F == Field::complex ? "real imaginary" : "value")
                             : (F == Field::pattern ? "row column" : F == Field::complex ? "row column real imaginary" : "row column value");
    error(Code::bad_entry, std::string(Array ? "array value line" : "entry") + " has " + std::to_string(n) +
                               (n == 1 ? " field, " : " fields, ") + std::to_string(kFields) + " required for field " +
                               field_name(F) + " (" + what + ")");
  };
  // The common cases inline; everything else (signs, overflow, errors) out of line.
  auto index = [&](const char* q, int64_t limit, const char* which, int64_t& out) -> const char* {
    const char* d = q;
    uint64_t v = 0;
    while (static_cast<unsigned>(*q - '0') < 10u) v = v * 10 + static_cast<unsigned>(*q++ - '0');
    if (__builtin_expect(q != d && q - d <= 10 && is_sep(*q) && v - 1 < static_cast<uint64_t>(limit), 1)) {
      out = static_cast<int64_t>(v) - 1;
      return q;
    }
    return slow_index(d, limit, which, out);
  };
  auto value = [&](const char* q, double& out, const char* which) -> const char* {
    if constexpr (F == Field::integer) {
      const char* d = q;
      const bool neg = *q == '-';
      q += neg;
      const char* digits = q;
      uint64_t u = 0;
      while (static_cast<unsigned>(*q - '0') < 10u) u = u * 10 + static_cast<unsigned>(*q++ - '0');
      if (__builtin_expect(q != digits && q - digits <= 15 && is_sep(*q), 1)) {
        out = neg ? -static_cast<double>(u) : static_cast<double>(u);
        return q;
      }
      return slow_integer(d, which, out);
    } else {
      double v;
      auto r = std::from_chars(q, end, v, std::chars_format::general);
      if (__builtin_expect(r.ec == std::errc() && is_sep(*r.ptr) && std::isfinite(v), 1)) {
        out = v;
        return r.ptr;
      }
      return slow_real(q, end, which, out);
    }
  };

  while (p < end) {
    const char* q = skip_ws(p);
    if (*q == '\n') {  // blank line
      ++line_;
      p = q + 1;
      continue;
    }
    if (*q == '%' || read_ == want) {  // a comment, or a data line beyond the declared count
      if (*q != '%' && extra_++ == 0) first_extra_line_ = line_ + 1;
      q = static_cast<const char*>(std::memchr(q, '\n', end - q));
      ++line_;
      p = q + 1;
      continue;
    }
    const char* b = p;
    int64_t i = 0, j = 0;
    double v = 1, im = 0;
    if constexpr (!Array) {
      q = index(q, rows, "row", i);
      q = skip_ws(q);
      if (*q == '\n') wrong_fields(b);
      q = index(q, cols, "column", j);
    }
    if constexpr (F != Field::pattern) {
      if constexpr (!Array) {
        q = skip_ws(q);
        if (*q == '\n') wrong_fields(b);
      }
      q = value(q, v, F == Field::complex ? "real part" : "value");
    }
    if constexpr (F == Field::complex) {
      q = skip_ws(q);
      if (*q == '\n') wrong_fields(b);
      q = value(q, im, "imaginary part");
    }
    q = skip_ws(q);
    if (*q != '\n') wrong_fields(b);
    if constexpr (Array) {
      i = arr_i_;
      j = arr_j_;
      if (++arr_i_ == rows) {
        ++arr_j_;
        arr_i_ = sym == Symmetry::general ? 0 : sym == Symmetry::skew ? arr_j_ + 1 : arr_j_;
      }
    }
    if (sym != Symmetry::general) {
      if (i == j) {
        if (sym == Symmetry::skew)
          error(Code::bad_entry, "entry (" + std::to_string(i + 1) + ", " + std::to_string(j + 1) +
                                     ") lies on the diagonal, which a skew-symmetric file does not store (it is zero)");
        if (sym == Symmetry::hermitian && im != 0)
          error(Code::bad_number, "diagonal entry (" + std::to_string(i + 1) + ", " + std::to_string(j + 1) +
                                      ") of a Hermitian matrix has a nonzero imaginary part");
        expanded_ += 1;
      } else {
        expanded_ += 2;
      }
    } else {
      expanded_ += 1;
    }
    if (expanded_ > kMaxStored)
      error(Code::limit, "more than 2147483647 stored entries (after mirroring the symmetric part); the CSR indices are 32-bit");
    push(static_cast<index_t>(i), static_cast<index_t>(j), v);
    ++read_;
    ++line_;
    p = q + 1;
  }
  return p;
}

// ---- CSR ---------------------------------------------------------------------

template <class T>
int64_t Parser::build_csr(index_t* indptr, index_t* indices, T* values) {
  if (state_ != State::finished || built_) fail("MatrixMarket parser: build_csr() needs finish() first and runs once");
  built_ = true;
  const int64_t rows = header_.rows;
  const Symmetry sym = header_.symmetry;
  const bool mirror = sym != Symmetry::general;
  const bool pattern = header_.field == Field::pattern;
  std::fill(indptr, indptr + rows + 1, 0);
  // Row counts (mirror images included), then row starts.
  for (const Block& b : blocks_) {
    for (size_t k = 0; k < b.size; ++k) {
      ++indptr[b.row[k] + 1];
      if (mirror && b.row[k] != b.col[k]) ++indptr[b.col[k] + 1];
    }
  }
  for (int64_t r = 0; r < rows; ++r) indptr[r + 1] += indptr[r];
  // Scatter in file order, using indptr[r] as row r's cursor. Files written row
  // by row or column by column (SuiteSparse) come out with sorted rows, mirrored
  // entries included. Each block is freed once scattered.
  const T sign = sym == Symmetry::skew ? T(-1) : T(1);
  for (Block& b : blocks_) {
    for (size_t k = 0; k < b.size; ++k) {
      const index_t i = b.row[k], j = b.col[k];
      const T v = pattern ? T(1) : static_cast<T>(b.val[k]);
      index_t at = indptr[i]++;
      indices[at] = j;
      values[at] = v;
      if (mirror && i != j) {
        at = indptr[j]++;
        indices[at] = i;
        values[at] = sign * v;  // Hermitian: the real part of conj(v) is v
      }
    }
    b = Block();
  }
  blocks_.clear();
  for (int64_t r = rows; r > 0; --r) indptr[r] = indptr[r - 1];
  indptr[0] = 0;
  // Sort the rows that are not sorted yet, then sum duplicates, compacting in place.
  std::vector<std::pair<index_t, T>> scratch;
  int64_t w = 0;
  for (int64_t r = 0; r < rows; ++r) {
    const index_t s = indptr[r], e = indptr[r + 1];
    bool sorted = true, strict = true;  // strictly increasing: nothing to sort or merge
    for (index_t p = s + 1; p < e; ++p) {
      if (indices[p - 1] < indices[p]) continue;
      strict = false;
      if (indices[p - 1] > indices[p]) {
        sorted = false;
        break;
      }
    }
    if (!sorted) {
      scratch.clear();
      for (index_t p = s; p < e; ++p) scratch.emplace_back(indices[p], values[p]);
      // Stable, so duplicates are summed in file order (deterministic rounding).
      std::stable_sort(scratch.begin(), scratch.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
      for (index_t p = s; p < e; ++p) {
        indices[p] = scratch[p - s].first;
        values[p] = scratch[p - s].second;
      }
    }
    indptr[r] = static_cast<index_t>(w);
    if (strict && w == s) {  // nothing merged so far, nothing to merge here: no copy
      w = e;
      continue;
    }
    for (index_t p = s; p < e; ++p) {
      if (w > indptr[r] && indices[w - 1] == indices[p]) {
        if (!pattern) values[w - 1] += values[p];  // duplicates summed (a pattern entry stays 1)
      } else {
        indices[w] = indices[p];
        values[w] = values[p];
        ++w;
      }
    }
  }
  indptr[rows] = static_cast<index_t>(w);
  return w;
}

template int64_t Parser::build_csr<double>(index_t*, index_t*, double*);
template int64_t Parser::build_csr<float>(index_t*, index_t*, float*);

}  // namespace sad::mtx
