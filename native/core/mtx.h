// MatrixMarket reader: a streaming parser that takes the file in byte chunks of
// any size and builds a CSR matrix (duplicates summed, columns sorted,
// symmetric / skew-symmetric / Hermitian storage expanded, explicit zeros kept).
//
// Strict by design (NIST "The Matrix Market Exchange Formats: Initial Design",
// 1996): every deviation is a ParseError naming the line and the problem, in one
// of a few categories (code). Memory follows the data actually read, never the
// sizes a header claims: entries go into blocks that grow as they arrive.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common.h"

namespace sad::mtx {

enum class Format { coordinate, array };
enum class Field { real, integer, complex, pattern };
enum class Symmetry { general, symmetric, skew, hermitian };

const char* format_name(Format f);
const char* field_name(Field f);
const char* symmetry_name(Symmetry s);

struct Options {
  // Complex files: false = reject (the engine is real-valued); true = keep the
  // real part (Hermitian files then mirror like symmetric ones).
  bool complex_real = false;
  // NaN / Inf values ("nan", "inf", "infinity", any case, signed): rejected unless set.
  bool allow_nonfinite = false;
  // The field word 'double' is not in the specification (field is real, integer,
  // complex or pattern) and is rejected unless this is set; then it reads as real.
  bool allow_double_field = false;
  // Upper bound on the row count: CSR needs rows + 1 row pointers however few
  // entries follow, so a header must not be able to claim gigabytes of them.
  int64_t max_rows = int64_t{1} << 27;
};

// Error categories (the malformed corpus in shared/data/matrices/malformed uses
// the first seven).
enum class Code { bad_banner, bad_size, index_out_of_range, nnz_mismatch, unexpected_eof, bad_number, bad_entry, unsupported, limit };
const char* code_name(Code c);

struct ParseError : Error {
  Code code;
  int64_t line;         // 1-based line of the problem
  std::string problem;  // the message without the location
  ParseError(Code c, int64_t ln, std::string what)
      : Error("line " + std::to_string(ln) + ": " + what), code(c), line(ln), problem(std::move(what)) {}
};

struct Header {
  Format format = Format::coordinate;
  Field field = Field::real;
  Symmetry symmetry = Symmetry::general;
  int64_t rows = 0;
  int64_t cols = 0;
  int64_t entries = 0;             // entries (coordinate) or values (array) the size line declares
  std::vector<std::string> comments;  // comment lines before the size line, without the leading '%' (capped)
  bool comments_truncated = false;
};

class Parser {
 public:
  explicit Parser(Options opts = {});
  ~Parser();
  Parser(const Parser&) = delete;
  Parser& operator=(const Parser&) = delete;

  // Feeds the next bytes of the file. Throws ParseError at the first problem;
  // after that the parser is spent (every further call throws the same error).
  void feed(const char* data, size_t n);
  // Declares the end of the input: checks that every declared entry was read.
  void finish();

  bool header_done() const { return state_ >= State::data; }
  const Header& header() const { return header_; }
  int64_t lines() const { return line_; }
  // Stored entries after mirroring the symmetric part, duplicates not yet merged:
  // the capacity the CSR arrays passed to build_csr need. Valid after finish().
  int64_t expanded_entries() const { return expanded_; }

  // Fills indptr (rows + 1), indices and values (expanded_entries() each) and
  // returns the nnz after summing duplicates (the arrays' prefix that holds the
  // matrix). Frees the parsed entries as it goes; call once, after finish().
  template <class T>
  int64_t build_csr(index_t* indptr, index_t* indices, T* values);

  // Releases the parsed entries (e.g. after an error).
  void release();

 private:
  enum class State { banner, size, data, trailing, failed, finished };

  struct Block {
    std::unique_ptr<index_t[]> row, col;
    std::unique_ptr<double[]> val;  // absent for pattern files
    size_t size = 0, cap = 0;
  };

  [[noreturn]] void error(Code c, std::string what);
  [[noreturn]] void error_at(Code c, int64_t line, std::string what);
  void feed_piece(const char* p, size_t n);       // at most kMaxLine bytes
  void long_line(const char* b, const char* e, const char* more, const char* more_end);  // a line that is too long
  void process(const char* p, const char* end);  // complete lines; end[-1] == '\n'
  void line(const char* b, const char* e);       // one line without its terminator
  void banner_line(const char* b, const char* e);
  void size_line(const char* b, const char* e);
  template <Field F, bool Array>
  const char* data_lines(const char* p, const char* end);
  const char* slow_index(const char* s, int64_t limit, const char* which, int64_t& out);
  const char* slow_integer(const char* s, const char* which, double& out);
  const char* slow_real(const char* s, const char* end, const char* which, double& out);
  void new_block();
  void push(index_t i, index_t j, double v) {
    Block* b = blocks_.empty() ? nullptr : &blocks_.back();
    if (!b || b->size == b->cap) {
      new_block();
      b = &blocks_.back();
    }
    b->row[b->size] = i;
    b->col[b->size] = j;
    if (b->val) b->val[b->size] = v;
    ++b->size;
  }
  void at_entries_done();

  Options opts_;
  Header header_;
  State state_ = State::banner;
  int64_t line_ = 0;        // lines completed so far
  int64_t read_ = 0;        // entries (values, for array files) read so far
  int64_t expanded_ = 0;    // entries after mirroring
  int64_t extra_ = 0;       // data lines beyond the declared count
  int64_t first_extra_line_ = 0;
  int64_t arr_i_ = 0, arr_j_ = 0;  // next position of an array file
  bool built_ = false;
  bool in_long_comment_ = false;   // a comment line longer than the carry cap is being skipped
  std::string carry_;              // an incomplete last line
  std::size_t comment_bytes_ = 0;
  std::vector<Block> blocks_;
  std::unique_ptr<ParseError> failure_;
};

}  // namespace sad::mtx
