#include "io/h5_file.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <numeric>

#include "io/atomic_output.hpp"
#include "io/errors.hpp"
#include "io/limits.hpp"

namespace loihisim::h5 {
namespace {

// HDF5 prints an error stack to stderr on every failed call unless told not to; we report
// failures ourselves, once, with the file and object name.
void silence_hdf5() {
  static const bool done = [] {
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    return true;
  }();
  (void)done;
}

template <class T>
hid_t native_type();
template <>
hid_t native_type<std::int8_t>() {
  return H5T_NATIVE_INT8;
}
template <>
hid_t native_type<std::uint8_t>() {
  return H5T_NATIVE_UINT8;
}
template <>
hid_t native_type<std::int16_t>() {
  return H5T_NATIVE_INT16;
}
template <>
hid_t native_type<std::int32_t>() {
  return H5T_NATIVE_INT32;
}
template <>
hid_t native_type<std::uint32_t>() {
  return H5T_NATIVE_UINT32;
}
template <>
hid_t native_type<std::int64_t>() {
  return H5T_NATIVE_INT64;
}
template <>
hid_t native_type<std::uint64_t>() {
  return H5T_NATIVE_UINT64;
}
template <>
hid_t native_type<float>() {
  return H5T_NATIVE_FLOAT;
}
template <>
hid_t native_type<double>() {
  return H5T_NATIVE_DOUBLE;
}

// Abort a type conversion that would change a value (out of range, fraction dropped, NaN),
// instead of HDF5's default of clamping silently.
H5T_conv_ret_t strict_conversion(H5T_conv_except_t except, hid_t, hid_t, void*, void*, void*) {
  switch (except) {
    case H5T_CONV_EXCEPT_RANGE_HI:
    case H5T_CONV_EXCEPT_RANGE_LOW:
    case H5T_CONV_EXCEPT_TRUNCATE:
    case H5T_CONV_EXCEPT_NAN:
    case H5T_CONV_EXCEPT_PINF:
    case H5T_CONV_EXCEPT_NINF:
      return H5T_CONV_ABORT;
    default:
      return H5T_CONV_UNHANDLED;
  }
}

// Elements of a shape; a product that overflows 64 bits counts as "more than any limit".
std::uint64_t element_count(const std::vector<std::uint64_t>& d) {
  std::uint64_t n = 1;
  for (const auto x : d) n = bytes_for(n, x);
  return n;
}

std::string shape_text(const std::vector<std::uint64_t>& d) {
  std::string s;
  for (const auto x : d) s += (s.empty() ? "" : " x ") + std::to_string(x);
  return (s.empty() ? "a scalar" : s) + " values";
}

// Stored numbers are at most 16 bytes wide (a long double); HDF5 sizes its conversion buffers by
// the stored width, so a corrupt type of a few GB per value would make it allocate that much.
bool plausible_number_width(hid_t type) {
  const std::size_t size = H5Tget_size(type);
  return size >= 1 && size <= 16;
}

// libhdf5 1.10.8 (Debian 12) never returns from reading a global heap collection (where
// variable-length strings live) whose objects do not tile it: an object of index 0 and size 0
// makes H5HG__cache_heap_deserialize loop without advancing (bytes past the end of the file read
// as zeros). A corrupt file must be an error, not a hang, so every collection ("GCOL", version 1)
// in the file is walked the way HDF5 walks it before HDF5 opens the file.
class FileBytes {
 public:
  explicit FileBytes(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    struct stat st {};
    if (fd >= 0 && ::fstat(fd, &st) == 0 && st.st_size > 0) {
      void* m =
          ::mmap(nullptr, static_cast<std::size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
      if (m != MAP_FAILED) {
        data_ = static_cast<const unsigned char*>(m);
        size_ = static_cast<std::size_t>(st.st_size);
      }
    }
    if (fd >= 0) ::close(fd);
  }
  ~FileBytes() {
    if (data_) ::munmap(const_cast<unsigned char*>(data_), size_);
  }
  FileBytes(const FileBytes&) = delete;
  FileBytes& operator=(const FileBytes&) = delete;
  std::size_t size() const { return size_; }
  const unsigned char* data() const { return data_; }
  // Little-endian unsigned of `n` bytes at `at`; bytes past the end read as 0, as HDF5 reads them.
  std::uint64_t le(std::uint64_t at, std::size_t n) const {
    std::uint64_t v = 0;
    for (std::size_t i = n; i-- > 0;) v = (v << 8) | (at + i < size_ ? data_[at + i] : 0u);
    return v;
  }

 private:
  const unsigned char* data_ = nullptr;
  std::size_t size_ = 0;
};

// The superblock's size of lengths (signature at 0, 512, 1024, ...), 8 when none is found.
std::size_t length_size(const FileBytes& f) {
  static const unsigned char kSignature[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
  for (std::uint64_t at = 0; at + 16 <= f.size(); at = at == 0 ? 512 : at * 2) {
    if (std::memcmp(f.data() + at, kSignature, 8) != 0) continue;
    const std::size_t s = f.data()[at + (f.data()[at + 8] < 2 ? 14 : 10)];
    return s == 2 || s == 4 || s == 8 ? s : 8;
  }
  return 8;
}

// Whether the collection at `at` is walked to its end the way HDF5 walks it (wrapping sizes
// included): every object advances and none reaches past the collection.
bool heap_collection_ends(const FileBytes& f, std::uint64_t at, std::size_t len) {
  const auto align = [](std::uint64_t x) { return 8 * ((x + 7) / 8); };
  const std::uint64_t header = align(8 + len), object_header = align(8 + len);
  const std::uint64_t size = f.le(at + 8, len);
  for (std::uint64_t p = header; p < size;) {
    if (size - p < object_header) return true;  // the rest is free space
    const std::uint64_t index = f.le(at + p, 2), object = f.le(at + p + 8, len);
    const std::uint64_t need = index > 0 ? object_header + align(object) : object;
    if (need == 0 || need > size - p) return false;
    p += need;
  }
  return true;
}

void check_global_heaps(const std::string& path) {
  const FileBytes f(path);
  if (!f.data()) return;  // HDF5 will say what is wrong with it
  const std::size_t len = length_size(f);
  const unsigned char* begin = f.data();
  const unsigned char* end = begin + f.size();
  for (const unsigned char* p = begin; end - p >= 5;) {
    p = static_cast<const unsigned char*>(
        std::memchr(p, 'G', static_cast<std::size_t>(end - p - 4)));
    if (!p) break;
    const auto at = static_cast<std::uint64_t>(p - begin);
    if (std::memcmp(p, "GCOL", 4) == 0 && p[4] == 1 && !heap_collection_ends(f, at, len))
      throw InputError(path + ": corrupt HDF5 file: the global heap collection at byte " +
                       std::to_string(at) + " (variable-length data) is malformed");
    ++p;
  }
}

std::string join_path(const std::string& path, const std::string& name) {
  if (path.empty() || path == "/") return "/" + name;
  return path + "/" + name;
}

}  // namespace

Handle& Handle::operator=(Handle&& o) noexcept {
  if (this != &o) {
    reset();
    id_ = o.id_;
    closer_ = o.closer_;
    o.id_ = H5I_INVALID_HID;
  }
  return *this;
}

void Handle::reset() {
  if (id_ >= 0 && closer_) closer_(id_);
  id_ = H5I_INVALID_HID;
}

bool Handle::close_checked() {
  if (id_ < 0 || !closer_) return true;
  const herr_t rc = closer_(id_);
  id_ = H5I_INVALID_HID;
  return rc >= 0;
}

Group::Group(std::shared_ptr<Handle> file, Handle group, std::string file_name, std::string path)
    : file_(std::move(file)),
      group_(std::move(group)),
      file_name_(std::move(file_name)),
      path_(std::move(path)) {}

std::string Group::where(const std::string& name) const {
  return file_name_ + ":" + join_path(path_, name);
}

void Group::fail(const std::string& object, const std::string& what) const {
  throw InputError(where(object) + ": " + what);
}

bool Group::has(const std::string& name) const {
  return H5Lexists(id(), name.c_str(), H5P_DEFAULT) > 0;
}

bool Group::has_attribute(const std::string& name) const {
  return H5Aexists(id(), name.c_str()) > 0;
}

std::vector<std::string> Group::children() const {
  std::vector<std::string> names;
  auto collect = [](hid_t, const char* name, const H5L_info_t*, void* data) -> herr_t {
    static_cast<std::vector<std::string>*>(data)->emplace_back(name);
    return 0;
  };
  hsize_t idx = 0;
  if (H5Literate(id(), H5_INDEX_NAME, H5_ITER_INC, &idx, collect, &names) < 0)
    fail("", "cannot list the group's members");
  return names;
}

bool Group::is_group(const std::string& name) const {
  if (!has(name)) return false;
  H5O_info_t info;
  if (H5Oget_info_by_name2(id(), name.c_str(), &info, H5O_INFO_BASIC, H5P_DEFAULT) < 0)
    return false;
  return info.type == H5O_TYPE_GROUP;
}

Group Group::create_group(const std::string& name) {
  Handle g(H5Gcreate2(id(), name.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose);
  if (!g) fail(name, "cannot create group");
  return Group(file_, std::move(g), file_name_, join_path(path_, name));
}

Group Group::open_group(const std::string& name) const {
  if (!is_group(name)) fail(name, "missing group");
  Handle g(H5Gopen2(id(), name.c_str(), H5P_DEFAULT), H5Gclose);
  if (!g) fail(name, "cannot open group");
  return Group(file_, std::move(g), file_name_, join_path(path_, name));
}

template <class T>
void Group::write(const std::string& name, const std::vector<T>& data,
                  const std::vector<std::uint64_t>& dims, int gzip) {
  const std::uint64_t n =
      std::accumulate(dims.begin(), dims.end(), std::uint64_t{1}, std::multiplies<std::uint64_t>());
  if (n != data.size())
    fail(name, "internal error: " + std::to_string(data.size()) + " values for shape of " +
                   std::to_string(n));
  std::vector<hsize_t> hd(dims.begin(), dims.end());
  Handle space(H5Screate_simple(static_cast<int>(hd.size()), hd.data(), nullptr), H5Sclose);
  Handle plist(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
  if (gzip > 0 && n > 0) {
    std::vector<hsize_t> chunk = hd;
    // Chunks of at most ~1 Mi elements, cut along the first dimension.
    hsize_t rest = 1;
    for (std::size_t i = 1; i < chunk.size(); ++i) rest *= std::max<hsize_t>(chunk[i], 1);
    if (!chunk.empty())
      chunk[0] = std::max<hsize_t>(1, std::min<hsize_t>(chunk[0], (1u << 20) / rest));
    H5Pset_chunk(plist.get(), static_cast<int>(chunk.size()), chunk.data());
    H5Pset_deflate(plist.get(), static_cast<unsigned>(gzip));
  }
  Handle ds(H5Dcreate2(id(), name.c_str(), native_type<T>(), space.get(), H5P_DEFAULT, plist.get(),
                       H5P_DEFAULT),
            H5Dclose);
  if (!ds) fail(name, "cannot create dataset");
  if (n > 0 && H5Dwrite(ds.get(), native_type<T>(), H5S_ALL, H5S_ALL, H5P_DEFAULT, data.data()) < 0)
    fail(name, "cannot write dataset");
}

void Group::write_string(const std::string& name, const std::string& value) {
  Handle type(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(type.get(), std::max<std::size_t>(value.size(), 1));
  H5Tset_cset(type.get(), H5T_CSET_UTF8);
  Handle space(H5Screate(H5S_SCALAR), H5Sclose);
  Handle ds(H5Dcreate2(id(), name.c_str(), type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT,
                       H5P_DEFAULT),
            H5Dclose);
  if (!ds) fail(name, "cannot create string dataset");
  std::string padded = value.empty() ? std::string(1, '\0') : value;
  if (H5Dwrite(ds.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, padded.data()) < 0)
    fail(name, "cannot write string dataset");
}

std::vector<std::uint64_t> Group::shape(const std::string& name) const {
  if (!has(name)) fail(name, "missing dataset");
  Handle ds(H5Dopen2(id(), name.c_str(), H5P_DEFAULT), H5Dclose);
  if (!ds) fail(name, "not a dataset");
  Handle space(H5Dget_space(ds.get()), H5Sclose);
  const int rank = H5Sget_simple_extent_ndims(space.get());
  if (rank < 0) fail(name, "cannot read the dataset's shape");
  std::vector<hsize_t> hd(static_cast<std::size_t>(rank));
  H5Sget_simple_extent_dims(space.get(), hd.data(), nullptr);
  return {hd.begin(), hd.end()};
}

Handle Group::open_numeric(const std::string& name, std::uint64_t count, std::size_t value_bytes,
                           const std::string& what) const {
  Handle ds(H5Dopen2(id(), name.c_str(), H5P_DEFAULT), H5Dclose);
  Handle type(H5Dget_type(ds.get()), H5Tclose);
  const H5T_class_t cls = H5Tget_class(type.get());
  if (cls != H5T_INTEGER && cls != H5T_FLOAT) fail(name, "expected a numeric dataset");
  if (!plausible_number_width(type.get()))
    fail(name, "stored numbers of " + std::to_string(H5Tget_size(type.get())) +
                   " bytes each (a corrupt type; numbers are 1 to 16 bytes)");
  check_memory(bytes_for(count, std::max(value_bytes, H5Tget_size(type.get()))),
               where(name) + " (" + what + ")");
  return ds;
}

template <class T>
std::vector<T> Group::read(const std::string& name, std::vector<std::uint64_t>* dims) const {
  const auto d = shape(name);
  const std::uint64_t n = element_count(d);
  const Handle ds = open_numeric(name, n, sizeof(T), shape_text(d));
  std::vector<T> out(n);
  Handle xfer(H5Pcreate(H5P_DATASET_XFER), H5Pclose);
  H5Pset_type_conv_cb(xfer.get(), strict_conversion, nullptr);
  if (n > 0 && H5Dread(ds.get(), native_type<T>(), H5S_ALL, H5S_ALL, xfer.get(), out.data()) < 0)
    fail(name,
         "cannot read dataset as the expected type (a value is out of range, not an "
         "integer where one is required, or not finite)");
  if (dims) *dims = d;
  return out;
}

template <class T>
std::vector<T> Group::read_range(const std::string& name, std::uint64_t first,
                                 std::uint64_t count) const {
  const auto d = shape(name);
  if (d.size() != 1) fail(name, "expected a 1-D dataset");
  if (first > d[0] || count > d[0] - first)
    fail(name, "values " + std::to_string(first) + ".." + std::to_string(first + count) +
                   " asked for, but the dataset has " + std::to_string(d[0]));
  const Handle ds = open_numeric(name, count, sizeof(T), std::to_string(count) + " values");
  std::vector<T> out(count);
  if (count == 0) return out;
  Handle file_space(H5Dget_space(ds.get()), H5Sclose);
  const hsize_t start = first, n = count;
  if (H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, &start, nullptr, &n, nullptr) < 0)
    fail(name, "cannot select a range of the dataset");
  Handle memory_space(H5Screate_simple(1, &n, nullptr), H5Sclose);
  Handle xfer(H5Pcreate(H5P_DATASET_XFER), H5Pclose);
  H5Pset_type_conv_cb(xfer.get(), strict_conversion, nullptr);
  if (H5Dread(ds.get(), native_type<T>(), memory_space.get(), file_space.get(), xfer.get(),
              out.data()) < 0)
    fail(name,
         "cannot read dataset as the expected type (a value is out of range, not an "
         "integer where one is required, or not finite)");
  return out;
}

std::vector<std::string> Group::read_strings(const std::string& name,
                                             std::vector<std::uint64_t>* dims) const {
  const auto d = shape(name);
  Handle ds(H5Dopen2(id(), name.c_str(), H5P_DEFAULT), H5Dclose);
  Handle type(H5Dget_type(ds.get()), H5Tclose);
  if (H5Tget_class(type.get()) != H5T_STRING) fail(name, "expected a string dataset");
  const std::uint64_t n = element_count(d);
  const std::size_t stored =
      H5Tis_variable_str(type.get()) > 0 ? sizeof(char*) : H5Tget_size(type.get());
  check_memory(bytes_for(n, stored + sizeof(std::string)),
               where(name) + " (" + shape_text(d) + ")");
  std::vector<std::string> out;
  out.reserve(n);
  Handle space(H5Dget_space(ds.get()), H5Sclose);
  if (H5Tis_variable_str(type.get()) > 0) {
    Handle mem(H5Tcopy(H5T_C_S1), H5Tclose);
    H5Tset_size(mem.get(), H5T_VARIABLE);
    H5Tset_cset(mem.get(), H5Tget_cset(type.get()));
    std::vector<char*> buf(n, nullptr);
    if (n > 0 && H5Dread(ds.get(), mem.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, buf.data()) < 0)
      fail(name, "cannot read string dataset");
    for (char* s : buf) out.emplace_back(s ? s : "");
    if (n > 0) H5Dvlen_reclaim(mem.get(), space.get(), H5P_DEFAULT, buf.data());
  } else {
    const std::size_t size = H5Tget_size(type.get());
    std::vector<char> buf(n * size);
    if (n > 0 && H5Dread(ds.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, buf.data()) < 0)
      fail(name, "cannot read string dataset");
    for (std::uint64_t i = 0; i < n; ++i) {
      const char* s = buf.data() + i * size;
      out.emplace_back(s, strnlen(s, size));
    }
  }
  if (dims) *dims = d;
  return out;
}

std::string Group::read_string(const std::string& name) const {
  auto all = read_strings(name);
  if (all.size() != 1) fail(name, "expected a single string");
  return all[0];
}

namespace {

Handle open_or_create_attribute(hid_t obj, const std::string& name, hid_t type, hid_t space) {
  if (H5Aexists(obj, name.c_str()) > 0) H5Adelete(obj, name.c_str());
  return Handle(H5Acreate2(obj, name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
}

}  // namespace

void Group::set_attribute(const std::string& name, const std::string& value) {
  Handle type(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(type.get(), std::max<std::size_t>(value.size(), 1));
  H5Tset_cset(type.get(), H5T_CSET_UTF8);
  Handle space(H5Screate(H5S_SCALAR), H5Sclose);
  Handle a = open_or_create_attribute(id(), name, type.get(), space.get());
  std::string padded = value.empty() ? std::string(1, '\0') : value;
  if (!a || H5Awrite(a.get(), type.get(), padded.data()) < 0)
    fail("@" + name, "cannot write attribute");
}

void Group::set_attribute(const std::string& name, std::int64_t value) {
  Handle space(H5Screate(H5S_SCALAR), H5Sclose);
  Handle a = open_or_create_attribute(id(), name, H5T_NATIVE_INT64, space.get());
  if (!a || H5Awrite(a.get(), H5T_NATIVE_INT64, &value) < 0)
    fail("@" + name, "cannot write attribute");
}

void Group::set_attribute(const std::string& name, double value) {
  Handle space(H5Screate(H5S_SCALAR), H5Sclose);
  Handle a = open_or_create_attribute(id(), name, H5T_NATIVE_DOUBLE, space.get());
  if (!a || H5Awrite(a.get(), H5T_NATIVE_DOUBLE, &value) < 0)
    fail("@" + name, "cannot write attribute");
}

Handle Group::single_value_attribute(const std::string& name, const char* expected) const {
  if (!has_attribute(name)) fail("@" + name, "missing attribute");
  Handle a(H5Aopen(id(), name.c_str(), H5P_DEFAULT), H5Aclose);
  if (!a) fail("@" + name, "cannot open attribute");
  Handle space(H5Aget_space(a.get()), H5Sclose);
  const H5S_class_t cls = H5Sget_simple_extent_type(space.get());
  const hssize_t n = H5Sget_simple_extent_npoints(space.get());
  if (cls == H5S_NULL || (cls == H5S_SIMPLE && n != 1) || n < 0)
    fail("@" + name, std::string("expected a single ") + expected + ", found an array of " +
                         std::to_string(n < 0 ? 0 : n) + " values");
  return a;
}

std::string Group::string_attribute(const std::string& name) const {
  Handle a = single_value_attribute(name, "string");
  Handle type(H5Aget_type(a.get()), H5Tclose);
  if (H5Tget_class(type.get()) != H5T_STRING) fail("@" + name, "expected a string attribute");
  if (H5Tis_variable_str(type.get()) > 0) {
    Handle mem(H5Tcopy(H5T_C_S1), H5Tclose);
    H5Tset_size(mem.get(), H5T_VARIABLE);
    char* s = nullptr;
    if (H5Aread(a.get(), mem.get(), &s) < 0) fail("@" + name, "cannot read attribute");
    std::string out = s ? s : "";
    H5free_memory(s);
    return out;
  }
  const std::size_t size = H5Tget_size(type.get());
  if (size > (std::size_t{1} << 24)) fail("@" + name, "a string attribute of more than 16 MB");
  std::vector<char> buf(size);
  if (H5Aread(a.get(), type.get(), buf.data()) < 0) fail("@" + name, "cannot read attribute");
  return std::string(buf.data(), strnlen(buf.data(), size));
}

std::int64_t Group::int_attribute(const std::string& name) const {
  Handle a = single_value_attribute(name, "integer");
  Handle type(H5Aget_type(a.get()), H5Tclose);
  if (H5Tget_class(type.get()) != H5T_INTEGER || !plausible_number_width(type.get()))
    fail("@" + name, "expected an integer attribute");
  if (H5Tget_sign(type.get()) == H5T_SGN_NONE && H5Tget_size(type.get()) >= 8) {
    std::uint64_t u = 0;
    if (H5Aread(a.get(), H5T_NATIVE_UINT64, &u) < 0) fail("@" + name, "cannot read attribute");
    if (u > static_cast<std::uint64_t>(INT64_MAX))
      fail("@" + name, std::to_string(u) + " is out of the 64-bit signed range");
    return static_cast<std::int64_t>(u);
  }
  std::int64_t v = 0;
  if (H5Aread(a.get(), H5T_NATIVE_INT64, &v) < 0) fail("@" + name, "cannot read attribute");
  return v;
}

double Group::double_attribute(const std::string& name) const {
  Handle a = single_value_attribute(name, "number");
  Handle type(H5Aget_type(a.get()), H5Tclose);
  const H5T_class_t cls = H5Tget_class(type.get());
  if ((cls != H5T_FLOAT && cls != H5T_INTEGER) || !plausible_number_width(type.get()))
    fail("@" + name, "expected a numeric attribute");
  double v = 0;
  if (H5Aread(a.get(), H5T_NATIVE_DOUBLE, &v) < 0) fail("@" + name, "cannot read attribute");
  return v;
}

namespace {

Group create_at(const std::string& path, const std::string& name, bool in_memory) {
  silence_hdf5();
  // Closing the file closes every object still open in it.
  Handle fapl(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
  H5Pset_fclose_degree(fapl.get(), H5F_CLOSE_STRONG);
  // In memory (no backing store): the finished file is written out by write_image(), whose
  // write errors (a full disk) we see and report; HDF5's own writes never fail, because a
  // failed write leaves HDF5 1.10 unable to close the file, and it crashes at exit.
  if (in_memory) H5Pset_fapl_core(fapl.get(), std::size_t{1} << 20, 0);
  auto file = std::make_shared<Handle>(
      H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl.get()), H5Fclose);
  if (!*file) throw InputError(name + ": cannot create HDF5 file");
  Handle root(H5Gopen2(file->get(), "/", H5P_DEFAULT), H5Gclose);
  return Group(file, std::move(root), name, "/");
}

// The in-memory file's bytes, then the file closed.
std::vector<char> file_image(Handle& file, const std::string& name) {
  const auto fail = [&] {
    throw InputError("cannot write " + name + ": HDF5 could not finish the file");
  };
  if (H5Fflush(file.get(), H5F_SCOPE_GLOBAL) < 0) fail();
  const ssize_t size = H5Fget_file_image(file.get(), nullptr, 0);
  if (size < 0) fail();
  std::vector<char> image(static_cast<std::size_t>(size));
  if (size > 0 && H5Fget_file_image(file.get(), image.data(), image.size()) != size) fail();
  if (!file.close_checked()) fail();
  return image;
}

// Every byte to `path`, or an InputError naming `name` and the system's reason.
void write_image(const std::vector<char>& image, const std::string& path, const std::string& name) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw InputError("cannot write " + name + ": " + std::strerror(errno));
  std::size_t done = 0;
  while (done < image.size()) {
    const ssize_t n = ::write(fd, image.data() + done, image.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = n < 0 ? errno : ENOSPC;
      ::close(fd);
      throw InputError("cannot write " + name + ": " + std::strerror(err) + "; nothing was kept");
    }
    done += static_cast<std::size_t>(n);
  }
  if (::close(fd) != 0)
    throw InputError("cannot write " + name + ": " + std::strerror(errno) + "; nothing was kept");
}

}  // namespace

Group create_file(const std::string& path) {
  return create_at(path, path, false);
}

Group create_file(AtomicOutput& out) {
  Group root = create_at(out.temp_path().string(), out.target().string(), true);
  std::shared_ptr<Handle> file = root.file_;
  const std::string temp = out.temp_path().string(), name = out.target().string();
  out.add_finisher([file, temp, name] {
    if (!*file) return;
    write_image(file_image(*file, name), temp, name);
  });
  return root;
}

Group open_file(const std::string& path) {
  silence_hdf5();
  check_input_file(path, "HDF5 file");
  if (H5Fis_hdf5(path.c_str()) <= 0)
    throw InputError(path + ": missing, unreadable, or not an HDF5 file");
  check_global_heaps(path);
  auto file =
      std::make_shared<Handle>(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
  if (!*file) throw InputError(path + ": cannot open HDF5 file");
  Handle root(H5Gopen2(file->get(), "/", H5P_DEFAULT), H5Gclose);
  return Group(file, std::move(root), path, "/");
}

#define LOIHISIM_H5_INSTANTIATE(T)                                                               \
  template void Group::write<T>(const std::string&, const std::vector<T>&,                       \
                                const std::vector<std::uint64_t>&, int);                         \
  template std::vector<T> Group::read<T>(const std::string&, std::vector<std::uint64_t>*) const; \
  template std::vector<T> Group::read_range<T>(const std::string&, std::uint64_t, std::uint64_t) \
      const;
LOIHISIM_H5_INSTANTIATE(std::int8_t)
LOIHISIM_H5_INSTANTIATE(std::uint8_t)
LOIHISIM_H5_INSTANTIATE(std::int16_t)
LOIHISIM_H5_INSTANTIATE(std::int32_t)
LOIHISIM_H5_INSTANTIATE(std::uint32_t)
LOIHISIM_H5_INSTANTIATE(std::int64_t)
LOIHISIM_H5_INSTANTIATE(std::uint64_t)
LOIHISIM_H5_INSTANTIATE(float)
LOIHISIM_H5_INSTANTIATE(double)
#undef LOIHISIM_H5_INSTANTIATE

std::vector<std::string> Group::string_list_attribute(const std::string& name) const {
  const Group& g = *this;
  if (!g.has_attribute(name)) g.fail("@" + name, "missing attribute (a list of names)");
  Handle a(H5Aopen(g.id(), name.c_str(), H5P_DEFAULT), H5Aclose);
  Handle type(H5Aget_type(a.get()), H5Tclose);
  Handle space(H5Aget_space(a.get()), H5Sclose);
  if (!a || !type || !space || H5Tget_class(type.get()) != H5T_STRING)
    g.fail("@" + name, "expected a string attribute (a list of names)");
  const hssize_t count = H5Sget_simple_extent_npoints(space.get());
  if (count < 0) g.fail("@" + name, "cannot read the attribute's size");
  const auto n = static_cast<std::size_t>(count);
  std::vector<std::string> out;
  if (H5Tis_variable_str(type.get()) > 0) {
    Handle mem(H5Tcopy(H5T_C_S1), H5Tclose);
    H5Tset_size(mem.get(), H5T_VARIABLE);
    // HDF5 does not convert between character sets: read UTF-8 (what h5py writes) as UTF-8.
    H5Tset_cset(mem.get(), H5Tget_cset(type.get()));
    std::vector<char*> buf(n, nullptr);
    if (n > 0 && H5Aread(a.get(), mem.get(), buf.data()) < 0)
      g.fail("@" + name, "cannot read attribute");
    for (char* s : buf) out.emplace_back(s ? s : "");
    if (n > 0) H5Dvlen_reclaim(mem.get(), space.get(), H5P_DEFAULT, buf.data());
  } else {
    const std::size_t size = H5Tget_size(type.get());
    std::vector<char> buf(n * size);
    if (n > 0 && H5Aread(a.get(), type.get(), buf.data()) < 0)
      g.fail("@" + name, "cannot read attribute");
    for (std::size_t i = 0; i < n; ++i)
      out.emplace_back(buf.data() + i * size, strnlen(buf.data() + i * size, size));
  }
  return out;
}

std::string dims_text(const std::vector<std::uint64_t>& dims) {
  std::string s;
  for (auto d : dims) s += (s.empty() ? "" : " x ") + std::to_string(d);
  return "[" + s + "]";
}

}  // namespace loihisim::h5
