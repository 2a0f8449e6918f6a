// HDF5 inputs of the fuzz harnesses (docs/reliability.md, "HDF5 inputs"). Mutating the bytes of
// an HDF5 file mostly finds bugs of libhdf5's own parser (Debian 12's 1.10.8 hangs, leaks and
// reads out of bounds on corrupt metadata), not of loihisim's loaders. So an input is a short
// text that describes the file's objects, and the harness writes that file with libhdf5:
// the file is always well-formed, and the fuzzer explores what the loaders must check (names,
// types, shapes, values, attributes, links, declared sizes). One object per line:
//
//   G PATH                               a group (missing parents are created)
//   D PATH TYPE SHAPE [VALUE...]         a dataset; Z: the same, chunked and deflate-compressed
//   A PATH NAME TYPE SHAPE [VALUE...]    an attribute of the object at PATH
//   L PATH TARGET                        a hard link to an existing object (cycles allowed)
//   S PATH TARGET                        a soft link (it may dangle)
//
// TYPE: i8 u8 i16 u16 i32 u32 i64 u64 f32 f64 (little-endian), s (variable-length UTF-8 string)
// or sN (N-byte string). SHAPE: - (scalar), ~ (null: no values) or sizes joined by x (3x4, 0).
// VALUE: numbers (inf, nan) or strings (bare, or "..." with \" \\ \n \xNN escapes), repeated to
// fill the shape; without values, or beyond 2^16 values, a dataset is not written and reads as
// zeros, so a declared size of 2^40 values costs nothing to build. Lines libhdf5 refuses are
// skipped. An input that starts with the HDF5 signature is used as the file itself (raw): the
// regression corpus keeps such files, but the fuzz build skips them unless LOIHISIM_FUZZ_RAW_HDF5
// is set (then libhdf5's parser is fuzzed too, and its bugs are found).
#pragma once

#include <hdf5.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "fuzz/fuzz_support.hpp"

namespace loihisim::fuzz {

namespace hdf5_detail {

inline constexpr std::size_t kMaxWrittenValues = std::size_t{1} << 16;
inline constexpr std::size_t kMaxAttributeBytes = std::size_t{1} << 16;

// Closes an HDF5 identifier at the end of a scope.
struct Id {
  Id(hid_t i, herr_t (*c)(hid_t)) : id(i), close(c) {}
  ~Id() {
    if (id >= 0) close(id);
  }
  Id(const Id&) = delete;
  Id& operator=(const Id&) = delete;
  hid_t id;
  herr_t (*close)(hid_t);
};

// Splits a line into words; "..." is one word, with \" \\ \n \t \xNN escapes.
inline std::vector<std::string> words(const std::string& line) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < line.size()) {
    if (std::isspace(static_cast<unsigned char>(line[i]))) {
      ++i;
      continue;
    }
    std::string w;
    if (line[i] != '"') {
      while (i < line.size() && !std::isspace(static_cast<unsigned char>(line[i]))) w += line[i++];
      out.push_back(w);
      continue;
    }
    for (++i; i < line.size() && line[i] != '"'; ++i) {
      if (line[i] != '\\' || i + 1 >= line.size()) {
        w += line[i];
        continue;
      }
      const char e = line[++i];
      if (e == 'n')
        w += '\n';
      else if (e == 't')
        w += '\t';
      else if (e == 'x' && i + 2 < line.size()) {
        w += static_cast<char>(std::strtol(line.substr(i + 1, 2).c_str(), nullptr, 16));
        i += 2;
      } else
        w += e;
    }
    ++i;  // the closing quote
    out.push_back(w);
  }
  return out;
}

// The file type of a TYPE word (the caller closes it), or -1.
inline hid_t file_type(const std::string& t) {
  static const struct {
    const char* name;
    hid_t (*type)();
  } kNumbers[] = {{"i8", [] { return H5T_STD_I8LE; }},    {"u8", [] { return H5T_STD_U8LE; }},
                  {"i16", [] { return H5T_STD_I16LE; }},  {"u16", [] { return H5T_STD_U16LE; }},
                  {"i32", [] { return H5T_STD_I32LE; }},  {"u32", [] { return H5T_STD_U32LE; }},
                  {"i64", [] { return H5T_STD_I64LE; }},  {"u64", [] { return H5T_STD_U64LE; }},
                  {"f32", [] { return H5T_IEEE_F32LE; }}, {"f64", [] { return H5T_IEEE_F64LE; }}};
  for (const auto& n : kNumbers)
    if (t == n.name) return H5Tcopy(n.type());
  if (t.empty() || t[0] != 's') return -1;
  const hid_t s = H5Tcopy(H5T_C_S1);
  if (t == "s") {
    H5Tset_size(s, H5T_VARIABLE);
    H5Tset_cset(s, H5T_CSET_UTF8);
    return s;
  }
  const long n = std::strtol(t.c_str() + 1, nullptr, 10);
  if (n < 1 || n > 65536) {
    H5Tclose(s);
    return -1;
  }
  H5Tset_size(s, static_cast<std::size_t>(n));
  H5Tset_strpad(s, H5T_STR_NULLPAD);
  return s;
}

// The dataspace of a SHAPE word (the caller closes it), or -1; `count` gets its values.
inline hid_t space(const std::string& shape, std::uint64_t& count) {
  count = 0;
  if (shape == "-") {
    count = 1;
    return H5Screate(H5S_SCALAR);
  }
  if (shape == "~") return H5Screate(H5S_NULL);
  std::vector<hsize_t> dims;
  std::stringstream in(shape);
  std::string d;
  count = 1;
  while (std::getline(in, d, 'x')) {
    if (d.empty() || !std::isdigit(static_cast<unsigned char>(d[0])) || dims.size() == 32)
      return -1;
    dims.push_back(std::strtoull(d.c_str(), nullptr, 10));
    count = dims.back() != 0 && count > UINT64_MAX / dims.back() ? UINT64_MAX : count * dims.back();
  }
  if (dims.empty()) return -1;
  return H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr);
}

// Writes `values`, repeated to `count`, through `write(memory type, buffer)`.
template <class Write>
void write_values(hid_t type, const std::vector<std::string>& values, std::uint64_t count,
                  Write&& write) {
  if (values.empty() || count == 0 || count > kMaxWrittenValues) return;
  const auto n = static_cast<std::size_t>(count);
  const H5T_class_t cls = H5Tget_class(type);
  if (cls == H5T_STRING && H5Tis_variable_str(type) > 0) {
    std::vector<const char*> buf(n);
    for (std::size_t i = 0; i < n; ++i) buf[i] = values[i % values.size()].c_str();
    write(type, buf.data());
  } else if (cls == H5T_STRING) {
    const std::size_t size = H5Tget_size(type);
    std::vector<char> buf(n * size, '\0');
    for (std::size_t i = 0; i < n; ++i) values[i % values.size()].copy(buf.data() + i * size, size);
    write(type, buf.data());
  } else if (cls == H5T_FLOAT) {
    std::vector<double> buf(n);
    for (std::size_t i = 0; i < n; ++i)
      buf[i] = std::strtod(values[i % values.size()].c_str(), nullptr);
    write(H5T_NATIVE_DOUBLE, buf.data());
  } else if (H5Tget_sign(type) == H5T_SGN_NONE) {
    std::vector<std::uint64_t> buf(n);
    for (std::size_t i = 0; i < n; ++i)
      buf[i] = std::strtoull(values[i % values.size()].c_str(), nullptr, 0);
    write(H5T_NATIVE_UINT64, buf.data());
  } else {
    std::vector<std::int64_t> buf(n);
    for (std::size_t i = 0; i < n; ++i)
      buf[i] = std::strtoll(values[i % values.size()].c_str(), nullptr, 0);
    write(H5T_NATIVE_INT64, buf.data());
  }
}

// A deflate-compressed chunked layout for a dataset of the given space (plain when it has a
// zero size or is not simple).
inline void compress(hid_t dcpl, hid_t space) {
  const int rank = H5Sget_simple_extent_ndims(space);
  if (rank <= 0 || H5Sget_simple_extent_type(space) != H5S_SIMPLE) return;
  std::vector<hsize_t> dims(static_cast<std::size_t>(rank)), chunk(dims.size());
  H5Sget_simple_extent_dims(space, dims.data(), nullptr);
  hsize_t budget = 1 << 14;
  for (std::size_t i = dims.size(); i-- > 0;) {
    if (dims[i] == 0) return;
    chunk[i] = std::max<hsize_t>(1, std::min(dims[i], budget));
    budget = std::max<hsize_t>(1, budget / chunk[i]);
  }
  H5Pset_chunk(dcpl, rank, chunk.data());
  H5Pset_deflate(dcpl, 4);
}

// One line of the description, applied to the file (errors: the line is skipped).
inline void apply(hid_t file, const std::vector<std::string>& w) {
  const Id lcpl{H5Pcreate(H5P_LINK_CREATE), H5Pclose};
  H5Pset_create_intermediate_group(lcpl.id, 1);
  const std::string& op = w[0];
  if (op == "G" && w.size() >= 2) {
    const Id g{H5Gcreate2(file, w[1].c_str(), lcpl.id, H5P_DEFAULT, H5P_DEFAULT), H5Gclose};
  } else if ((op == "L" || op == "S") && w.size() >= 3) {
    if (op == "L")
      H5Lcreate_hard(file, w[2].c_str(), file, w[1].c_str(), lcpl.id, H5P_DEFAULT);
    else
      H5Lcreate_soft(w[2].c_str(), file, w[1].c_str(), lcpl.id, H5P_DEFAULT);
  } else if ((op == "D" || op == "Z") && w.size() >= 4) {
    const Id type{file_type(w[2]), H5Tclose};
    std::uint64_t count = 0;
    const Id sp{type.id < 0 ? -1 : space(w[3], count), H5Sclose};
    if (sp.id < 0) return;
    const Id dcpl{H5Pcreate(H5P_DATASET_CREATE), H5Pclose};
    if (op == "Z") compress(dcpl.id, sp.id);
    const Id ds{H5Dcreate2(file, w[1].c_str(), type.id, sp.id, lcpl.id, dcpl.id, H5P_DEFAULT),
                H5Dclose};
    if (ds.id < 0) return;
    const std::vector<std::string> values(w.begin() + 4, w.end());
    write_values(type.id, values, count, [&](hid_t mem, const void* buf) {
      H5Dwrite(ds.id, mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
    });
  } else if (op == "A" && w.size() >= 5) {
    const Id type{file_type(w[3]), H5Tclose};
    std::uint64_t count = 0;
    const Id sp{type.id < 0 ? -1 : space(w[4], count), H5Sclose};
    if (sp.id < 0 || (count > 0 && H5Tget_size(type.id) > kMaxAttributeBytes / count)) return;
    const Id obj{H5Oopen(file, w[1].c_str(), H5P_DEFAULT), H5Oclose};
    if (obj.id < 0) return;
    const Id a{H5Acreate2(obj.id, w[2].c_str(), type.id, sp.id, H5P_DEFAULT, H5P_DEFAULT),
               H5Aclose};
    if (a.id < 0) return;
    const std::vector<std::string> values(w.begin() + 5, w.end());
    write_values(type.id, values, count,
                 [&](hid_t mem, const void* buf) { H5Awrite(a.id, mem, buf); });
  }
}

}  // namespace hdf5_detail

// Writes the HDF5 file a description asks for at `path` (see the top of this file); false when
// the file cannot be created.
inline bool build_hdf5(const std::string& description, const std::filesystem::path& path) {
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);  // refused lines are expected, and skipped
  // libhdf5 allocates a 1 MB type conversion buffer for every read and write and, with its
  // default free-list limits, gives it back to the allocator at once; under AddressSanitizer
  // each is a fresh mapping to fault in, which made the harnesses ten times slower. Keeping up to
  // 64 MB on its free lists lets it reuse them (the memory stays reachable: no leak).
  static const bool kFreeLists = H5set_free_list_limits(-1, -1, -1, -1, 64 << 20, 64 << 20) >= 0;
  (void)kFreeLists;
  const hdf5_detail::Id file{H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT),
                             H5Fclose};
  if (file.id < 0) return false;
  std::stringstream in(description);
  std::string line;
  for (int n = 0; n < 4096 && std::getline(in, line); ++n) {
    const auto w = hdf5_detail::words(line);
    if (!w.empty() && w[0][0] != '#') hdf5_detail::apply(file.id, w);
  }
  return true;
}

// The HDF5 file of one input, named `name` in the scratch folder: the input itself when it starts
// with the HDF5 signature (raw), else the file its description asks for. usable() is false for a
// raw input in the fuzz build (unless LOIHISIM_FUZZ_RAW_HDF5 is set) and when the file could not
// be written.
class Hdf5Input {
 public:
  Hdf5Input(const std::string& name, const std::uint8_t* data, std::size_t size) {
    static const char kSignature[] = "\x89HDF\r\n\x1a\n";
    const bool raw = size >= 8 && std::memcmp(data, kSignature, 8) == 0;
    if (raw) {
#ifdef LOIHISIM_FUZZING
      if (!std::getenv("LOIHISIM_FUZZ_RAW_HDF5")) return;
#endif
      file_.emplace(name, data, size);
      usable_ = true;
      return;
    }
    file_.emplace(name, std::string_view());
    usable_ = build_hdf5(std::string(reinterpret_cast<const char*>(data), size), file_->path());
  }
  bool usable() const {
    return usable_;
  }
  const std::filesystem::path& path() const {
    return file_->path();
  }

 private:
  std::optional<TempFile> file_;
  bool usable_ = false;
};

}  // namespace loihisim::fuzz
