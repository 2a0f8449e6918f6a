// Outputs appear whole or not at all, and a command's outputs appear together or not at all.
//
// AtomicOutput writes one file under a temporary name beside the target and renames it over the
// target on commit(), after its finishers (e.g. the checked close of an HDF5 file) succeeded and
// the data reached the disk (fsync). A guard destroyed without commit() removes the temporary
// file; so does Ctrl-C (install_interrupt_cleanup()), so an interrupted command leaves nothing.
//
// OutputSet is a command's transaction: it knows the command's inputs, refuses an output that is
// one of them (or another output) before any work is done, checks that every output's folder
// is writable up front, and commits all outputs only when all of them were written.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace loihisim {

class AtomicOutput {
 public:
  explicit AtomicOutput(std::filesystem::path target);
  ~AtomicOutput();
  AtomicOutput(const AtomicOutput&) = delete;
  AtomicOutput& operator=(const AtomicOutput&) = delete;

  // Where to write now.
  const std::filesystem::path& temp_path() const { return temp_; }
  const std::filesystem::path& target() const { return target_; }
  // Runs before the rename, in order; an InputError it throws aborts the commit (and removes
  // the temporary file).
  void add_finisher(std::function<void()> finish) { finishers_.push_back(std::move(finish)); }
  // Finishers, fsync, then an atomic rename to the target name. Throws InputError on failure,
  // naming the target.
  void commit();
  // The finishers and fsync only (OutputSet renames all outputs after all are ready).
  void prepare();
  void rename_into_place();

 private:
  std::filesystem::path target_;
  std::filesystem::path temp_;
  std::vector<std::function<void()>> finishers_;
  int slot_ = -1;  // in the interrupt-cleanup registry
  bool committed_ = false;
};

// Fails early (before a long run) when `out` cannot be written: it is a directory, its folder
// does not exist or is not writable, or it exists and is not a regular file. `option` names the
// command-line option in the message.
void check_output_path(const std::filesystem::path& out, const std::string& option);

// On SIGINT or SIGTERM, remove every temporary output file still open, then exit with the
// signal's status (130 for Ctrl-C). Called once by the command line's main().
void install_interrupt_cleanup();

class OutputSet {
 public:
  // A file the command reads: no output may be the same file.
  void input(const std::filesystem::path& file, const std::string& what);
  // Declares an output (checked now: writable folder, not an input, not another output).
  // Returns its AtomicOutput, valid until the set is destroyed.
  AtomicOutput& output(const std::filesystem::path& target, const std::string& option);
  // Every output's finishers and fsync, then every rename. Outputs never handed out by
  // output() are not allowed to be left unwritten: each must exist at its temporary path.
  void commit();

 private:
  struct Input {
    std::filesystem::path path;
    std::string what;
  };
  std::vector<Input> inputs_;
  std::vector<std::pair<std::string, std::unique_ptr<AtomicOutput>>> outputs_;
};

// True when a and b name the same file (the same inode when both exist, else the same
// normalised absolute path).
bool same_file(const std::filesystem::path& a, const std::filesystem::path& b);

}  // namespace loihisim
