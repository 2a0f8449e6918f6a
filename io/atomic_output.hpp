// Outputs appear whole or not at all, and a command's outputs appear together or not at all.
//
// AtomicOutput writes one file under a temporary name beside the target and renames it over the
// target on commit(), after its finishers (e.g. the checked close of an HDF5 file) succeeded and
// the data reached the disk (fsync). A guard destroyed without commit() removes the temporary
// file; so does Ctrl-C (install_interrupt_cleanup()), so an interrupted command leaves nothing.
//
// OutputSet is a command's transaction: it knows the command's inputs, refuses an output that is
// one of them (or another output) before any work is done, checks that every output's folder
// is writable up front, and renames all outputs into place only when all of them were written.
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
  // Finishers, fsync, then an atomic rename to the target name (or, inside an OutputSet, the
  // file is handed to the set, which renames it with the others). Throws InputError on failure,
  // naming the target.
  void commit();

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
  // While a set exists, AtomicOutput::commit() prepares its file (finishers, fsync) and hands it
  // to the set instead of renaming it: the set renames every output on commit() and removes
  // them all if it is destroyed first (an error, an exception, Ctrl-C). One set at a time.
  OutputSet();
  ~OutputSet();
  OutputSet(const OutputSet&) = delete;
  OutputSet& operator=(const OutputSet&) = delete;

  // A file the command reads: no output may be the same file.
  void input(const std::filesystem::path& file, const std::string& what);
  // Declares an output before any work (checked now: writable folder, not an input, not
  // another output). `option` names it in messages ("--out").
  void output(const std::filesystem::path& target, const std::string& option);
  // Renames every output handed over, in order.
  void commit();

  // The set AtomicOutput::commit() hands its file to, or null.
  static OutputSet* current();
  void adopt(std::filesystem::path temp, std::filesystem::path target, int slot);

 private:
  struct Input {
    std::filesystem::path path;
    std::string what;
  };
  struct Pending {
    std::filesystem::path temp, target;
    int slot = -1;
  };
  std::vector<Input> inputs_;
  std::vector<std::pair<std::string, std::filesystem::path>> outputs_;
  std::vector<Pending> pending_;
  bool committed_ = false;
};

// True when a and b name the same file (the same inode when both exist, else the same
// normalised absolute path).
bool same_file(const std::filesystem::path& a, const std::filesystem::path& b);

}  // namespace loihisim
