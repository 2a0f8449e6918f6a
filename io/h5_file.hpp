// A small RAII layer over the HDF5 C API: files, groups, n-dimensional numeric datasets and
// scalar/string attributes. Every failure throws InputError naming the file and the object, and
// HDF5's own error-stack printing is switched off so users see one clear message.
#pragma once

#include <hdf5.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace loihisim {
class AtomicOutput;
}

namespace loihisim::h5 {

// Owns one HDF5 identifier and closes it with the right H5*close.
class Handle {
 public:
  Handle() = default;
  Handle(hid_t id, herr_t (*closer)(hid_t)) : id_(id), closer_(closer) {}
  ~Handle() { reset(); }
  Handle(Handle&& o) noexcept : id_(o.id_), closer_(o.closer_) { o.id_ = H5I_INVALID_HID; }
  Handle& operator=(Handle&& o) noexcept;
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  hid_t get() const { return id_; }
  explicit operator bool() const { return id_ >= 0; }
  void reset();
  // Closes now and says whether the close succeeded (a file's close writes its last data).
  bool close_checked();

 private:
  hid_t id_ = H5I_INVALID_HID;
  herr_t (*closer_)(hid_t) = nullptr;
};

// A group (or the file's root group) together with the file name and its path, so errors can
// say exactly where they happened.
class Group {
 public:
  Group(std::shared_ptr<Handle> file, Handle group, std::string file_name, std::string path);

  const std::string& file_name() const { return file_name_; }
  const std::string& path() const { return path_; }
  hid_t id() const { return group_.get(); }

  bool has(const std::string& name) const;  // a link of that name exists here
  bool has_attribute(const std::string& name) const;
  std::vector<std::string> children() const;  // link names, in creation/name order
  bool is_group(const std::string& name) const;

  Group create_group(const std::string& name);
  Group open_group(const std::string& name) const;

  // Writes a dataset of the given shape (row-major); data.size() must equal the product of dims.
  // `gzip` > 0 compresses with that deflate level (chunked).
  template <class T>
  void write(const std::string& name, const std::vector<T>& data,
             const std::vector<std::uint64_t>& dims, int gzip = 0);
  template <class T>
  void write(const std::string& name, const std::vector<T>& data) {
    write(name, data, {static_cast<std::uint64_t>(data.size())});
  }
  void write_string(const std::string& name, const std::string& value);

  // Reads a numeric dataset of any stored numeric type, converted by HDF5 to T; `dims` receives
  // the shape. Integer overflow during conversion is an error, not a silent clamp; a declared
  // size beyond the memory limit (io/limits.hpp) is an error before anything is allocated.
  template <class T>
  std::vector<T> read(const std::string& name, std::vector<std::uint64_t>* dims = nullptr) const;
  // Values [first, first + count) of a 1-D numeric dataset (a hyperslab: only they are read),
  // with the same conversion checks as read(). An InputError when the dataset is not 1-D or
  // the range reaches past its end.
  template <class T>
  std::vector<T> read_range(const std::string& name, std::uint64_t first,
                            std::uint64_t count) const;
  std::string read_string(const std::string& name) const;  // scalar or 1-element string dataset
  // Any string dataset (fixed or variable length, any shape), flattened row-major.
  std::vector<std::string> read_strings(const std::string& name,
                                        std::vector<std::uint64_t>* dims = nullptr) const;
  // Shape of a dataset without reading it.
  std::vector<std::uint64_t> shape(const std::string& name) const;

  void set_attribute(const std::string& name, const std::string& value);
  void set_attribute(const std::string& name, std::int64_t value);
  void set_attribute(const std::string& name, double value);
  // Attributes are read only when they hold exactly one value (a scalar or a 1-element array)
  // of the right class; an array attribute is an error naming it, never a buffer overflow.
  std::string string_attribute(const std::string& name) const;
  // A string attribute as h5py writes them: variable-length UTF-8 or fixed-length bytes, a
  // scalar (a list of one) or an array (Keras's layer_names, weight_names), flattened.
  std::vector<std::string> string_list_attribute(const std::string& name) const;
  std::int64_t int_attribute(const std::string& name) const;
  double double_attribute(const std::string& name) const;

  [[noreturn]] void fail(const std::string& object, const std::string& what) const;

 private:
  friend Group create_file(AtomicOutput& out);
  Handle single_value_attribute(const std::string& name, const char* expected) const;
  std::string where(const std::string& name) const;
  // Opens `name` as a numeric dataset (integers or floats of a plausible width) and checks that
  // `count` values of `value_bytes` each fit in memory; `what` describes them in the message.
  Handle open_numeric(const std::string& name, std::uint64_t count, std::size_t value_bytes,
                      const std::string& what) const;

  std::shared_ptr<Handle> file_;
  Handle group_;
  std::string file_name_;
  std::string path_;
};

// Creates (truncates) a file for writing at `out`'s temporary path; messages name the target.
// The file is flushed and closed, with both checked, when `out` commits: a full disk makes the
// commit fail and the output is not kept.
Group create_file(AtomicOutput& out);
// Creates (truncates) a file at `path` (tests and tools that manage the file themselves).
Group create_file(const std::string& path);
// Opens an existing regular file read-only; a missing or non-HDF5 file is an InputError naming
// it.
Group open_file(const std::string& path);

// "[a x b x c]", for messages about shapes.
std::string dims_text(const std::vector<std::uint64_t>& dims);

// A dataset of exactly `shape`; otherwise an InputError naming the file, the object and both
// shapes.
template <class T>
std::vector<T> read_shaped(const Group& g, const std::string& name,
                           const std::vector<std::uint64_t>& shape) {
  std::vector<std::uint64_t> dims;
  auto v = g.read<T>(name, &dims);
  if (dims != shape)
    g.fail(name, "has shape " + dims_text(dims) + ", expected " + dims_text(shape));
  return v;
}

// The same for a floating-point dataset whose every value must be finite.
template <class T>
std::vector<T> read_finite(const Group& g, const std::string& name,
                           const std::vector<std::uint64_t>& shape) {
  auto v = read_shaped<T>(g, name, shape);
  for (std::size_t k = 0; k < v.size(); ++k)
    if (!(v[k] - v[k] == 0)) g.fail(name, "value " + std::to_string(k) + " is not finite");
  return v;
}

}  // namespace loihisim::h5
