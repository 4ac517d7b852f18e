// Bindings for the MatrixMarket parser (see native/core/mtx.h).
//
//   const p = new MtxParser({ complexReal, allowNonFinite, allowDoubleField, maxRows });
//   p.feed(bytes);                 // Uint8Array, any chunk size
//   const h = p.finish();          // { format, field, symmetry, rows, cols, entries, expanded, lines, comments, commentsTruncated }
//   const { indptr, indices, values, nnz } = p.build('float64' | 'float32');
//   p.release();                   // frees what was parsed (after an error)
//
// Parse errors are thrown as Error(problem) carrying `mtxCode` and `mtxLine`;
// native/lib/io/matrix-market.ts adds the file name.
#include <memory>

#include "bindings.h"
#include "mtx.h"
#include "util.h"

namespace sad::binding {
namespace {

[[noreturn]] void throw_parse_error(const Napi::Env& env, const mtx::ParseError& e) {
  auto err = Napi::Error::New(env, e.problem);
  err.Set("mtxCode", Napi::String::New(env, mtx::code_name(e.code)));
  err.Set("mtxLine", Napi::Number::New(env, static_cast<double>(e.line)));
  throw err;
}

template <class F>
auto parse_guarded(const Napi::Env& env, F&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const mtx::ParseError& e) {
    throw_parse_error(env, e);
  } catch (const Napi::Error&) {
    throw;
  } catch (const std::bad_alloc&) {
    // A reader error too (category 'limit', no line): the caller stops feeding this parser.
    auto err = Napi::Error::New(env, "out of memory while reading the entries (the matrix does not fit)");
    err.Set("mtxCode", Napi::String::New(env, "limit"));
    throw err;
  } catch (const std::exception& e) {
    throw Napi::Error::New(env, e.what());
  }
}

class MtxParser : public Napi::ObjectWrap<MtxParser> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "MtxParser",
                       {InstanceMethod("feed", &MtxParser::Feed), InstanceMethod("finish", &MtxParser::Finish),
                        InstanceMethod("build", &MtxParser::Build), InstanceMethod("release", &MtxParser::Release)});
  }

  explicit MtxParser(const Napi::CallbackInfo& info) : Napi::ObjectWrap<MtxParser>(info) {
    auto env = info.Env();
    mtx::Options opts;
    if (info.Length() > 0 && info[0].IsObject()) {
      auto o = info[0].As<Napi::Object>();
      opts.complex_real = bool_arg(o.Get("complexReal"));
      opts.allow_nonfinite = bool_arg(o.Get("allowNonFinite"));
      opts.allow_double_field = bool_arg(o.Get("allowDoubleField"));
      auto max_rows = o.Get("maxRows");
      if (!max_rows.IsUndefined()) opts.max_rows = int_arg(env, max_rows, "MtxParser", "maxRows");
    }
    parser_ = std::make_unique<mtx::Parser>(opts);
  }

 private:
  Napi::Value Feed(const Napi::CallbackInfo& info) {
    auto env = info.Env();
    if (!info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array)
      throw_js(env, "MtxParser.feed: expected a Uint8Array chunk");
    auto chunk = info[0].As<Napi::Uint8Array>();
    parse_guarded(env, [&] {
      parser_->feed(reinterpret_cast<const char*>(chunk.Data()), chunk.ByteLength());
      return 0;
    });
    return env.Undefined();
  }

  Napi::Value Finish(const Napi::CallbackInfo& info) {
    auto env = info.Env();
    parse_guarded(env, [&] {
      parser_->finish();
      return 0;
    });
    const auto& h = parser_->header();
    auto o = Napi::Object::New(env);
    o.Set("format", mtx::format_name(h.format));
    o.Set("field", mtx::field_name(h.field));
    o.Set("symmetry", mtx::symmetry_name(h.symmetry));
    o.Set("rows", static_cast<double>(h.rows));
    o.Set("cols", static_cast<double>(h.cols));
    o.Set("entries", static_cast<double>(h.entries));
    o.Set("expanded", static_cast<double>(parser_->expanded_entries()));
    o.Set("lines", static_cast<double>(parser_->lines()));
    auto comments = Napi::Array::New(env, h.comments.size());
    for (size_t k = 0; k < h.comments.size(); ++k) comments.Set(k, Napi::String::New(env, h.comments[k]));
    o.Set("comments", comments);
    o.Set("commentsTruncated", h.comments_truncated);
    return o;
  }

  Napi::Value Build(const Napi::CallbackInfo& info) {
    auto env = info.Env();
    const bool f32 = info[0].IsString() && info[0].As<Napi::String>().Utf8Value() == "float32";
    const int64_t rows = parser_->header().rows;
    const int64_t cap = parser_->expanded_entries();
    auto indptr = new_array<int32_t>(env, rows + 1);
    auto indices = new_array<int32_t>(env, cap);
    Napi::Value values;
    int64_t nnz = 0;
    if (f32) {
      auto v = new_array<float>(env, cap);
      nnz = parse_guarded(env, [&] { return parser_->build_csr<float>(indptr.Data(), indices.Data(), v.Data()); });
      values = v;
    } else {
      auto v = new_array<double>(env, cap);
      nnz = parse_guarded(env, [&] { return parser_->build_csr<double>(indptr.Data(), indices.Data(), v.Data()); });
      values = v;
    }
    auto o = Napi::Object::New(env);
    o.Set("indptr", indptr);
    o.Set("indices", indices);
    o.Set("values", values);
    o.Set("nnz", static_cast<double>(nnz));
    return o;
  }

  Napi::Value Release(const Napi::CallbackInfo& info) {
    parser_->release();
    return info.Env().Undefined();
  }

  std::unique_ptr<mtx::Parser> parser_;
};

}  // namespace

void register_mtx(Napi::Env env, Napi::Object exports) {
  exports.Set("MtxParser", MtxParser::Define(env));
}

}  // namespace sad::binding
