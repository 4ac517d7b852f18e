#include "reference.h"

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <dirent.h>
#include <fstream>
#include <sstream>

#ifndef SAD_DATA_DIR
#define SAD_DATA_DIR ""
#endif

namespace sad_test {

namespace {

std::string lower(std::string s) {
  for (char& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool next_data_line(std::istream& in, std::string& line) {
  while (std::getline(in, line)) {
    size_t k = line.find_first_not_of(" \t\r");
    if (k == std::string::npos || line[k] == '%') continue;
    return true;
  }
  return false;
}

}  // namespace

MtxResult read_matrix_market(const std::string& path) {
  MtxResult r;
  std::ifstream in(path);
  if (!in) {
    r.why = "cannot open " + path;
    return r;
  }
  std::string banner;
  std::getline(in, banner);
  std::istringstream bs(lower(banner));
  std::string tag, object, format, field, symmetry;
  bs >> tag >> object >> format >> field >> symmetry;
  if (tag != "%%matrixmarket" || object != "matrix") {
    r.why = "not a MatrixMarket matrix";
    return r;
  }
  if (field != "real" && field != "integer" && field != "pattern" && field != "double") {
    r.why = "field " + field + " not supported by the test reader";
    return r;
  }
  if (symmetry != "general" && symmetry != "symmetric" && symmetry != "skew-symmetric") {
    r.why = "symmetry " + symmetry + " not supported by the test reader";
    return r;
  }
  std::string line;
  if (!next_data_line(in, line)) {
    r.why = "no size line";
    return r;
  }
  std::istringstream ss(line);
  std::vector<Triplet> t;
  int64_t m = 0, n = 0;
  const std::string name = path.substr(path.find_last_of('/') + 1);
  if (format == "coordinate") {
    int64_t nnz = 0;
    ss >> m >> n >> nnz;
    t.reserve(size_t(nnz) * (symmetry == "general" ? 1 : 2));
    for (int64_t k = 0; k < nnz; ++k) {
      if (!next_data_line(in, line)) {
        r.why = "truncated";
        return r;
      }
      std::istringstream es(line);
      int64_t i, j;
      double v = 1;
      es >> i >> j;
      if (field != "pattern") es >> v;
      --i;
      --j;
      t.push_back({index_t(i), index_t(j), v});
      if (i != j && symmetry == "symmetric") t.push_back({index_t(j), index_t(i), v});
      if (i != j && symmetry == "skew-symmetric") t.push_back({index_t(j), index_t(i), -v});
    }
  } else if (format == "array" && symmetry == "general" && field != "pattern") {
    ss >> m >> n;
    for (int64_t j = 0; j < n; ++j)
      for (int64_t i = 0; i < m; ++i) {
        if (!next_data_line(in, line)) {
          r.why = "truncated";
          return r;
        }
        t.push_back({index_t(i), index_t(j), std::strtod(line.c_str(), nullptr)});
      }
  } else {
    r.why = "format " + format + "/" + symmetry + " not supported by the test reader";
    return r;
  }
  r.A = from_coo<double>(name, index_t(m), index_t(n), std::move(t));
  r.ok = true;
  return r;
}

std::string data_dir() {
  const char* env = std::getenv("SAD_DATA_DIR");
  if (env && *env) return env;
  return SAD_DATA_DIR;
}

std::vector<HostCsr<double>> real_matrices(int64_t max_nnz) {
  std::vector<HostCsr<double>> out;
  const std::string dir = data_dir() + "/matrices";
  DIR* d = opendir(dir.c_str());
  if (!d) {
    static bool told = false;
    if (!told) std::printf("    note: no real matrices: cannot open %s (set SAD_DATA_DIR)\n", dir.c_str());
    told = true;
    return out;
  }
  std::vector<std::string> names;
  while (dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n.size() > 4 && n.substr(n.size() - 4) == ".mtx") names.push_back(n);
  }
  closedir(d);
  std::sort(names.begin(), names.end());
  for (const auto& n : names) {
    MtxResult r = read_matrix_market(dir + "/" + n);
    if (r.ok && r.A.nnz() <= max_nnz) out.push_back(std::move(r.A));
  }
  return out;
}

}  // namespace sad_test
