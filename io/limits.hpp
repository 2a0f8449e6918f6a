// What a hostile or mistaken input may cost before it is refused: every
// input file must be a regular file of bounded size, and every allocation whose size comes from
// an input is checked against a memory limit first, so that a few-KB file declaring a huge
// array, or a FIFO, gets a one-line error naming the file instead of exhausting the machine.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace loihisim {

// The most memory one input may make the tool allocate: $LOIHISIM_MAX_MEMORY (bytes) when set,
// else half of this machine's physical memory.
std::uint64_t memory_limit_bytes();

// Throws InputError "<what> needs <bytes>, more than the memory limit of <limit> (...)" when
// `bytes` exceeds memory_limit_bytes(). `what` names the file and the object.
void check_memory(std::uint64_t bytes, const std::string& what);
// count * size with overflow treated as "too much".
std::uint64_t bytes_for(std::uint64_t count, std::uint64_t size);

// The largest text (YAML) input read whole into memory.
inline constexpr std::uint64_t kMaxTextFileBytes = std::uint64_t{1} << 30;

// The file exists, is a regular file (not a directory, FIFO or device: /dev/zero would be read
// forever) and is readable; `what` says what it is for ("model file"). Throws InputError
// "PATH: cannot read the <what>: <why>".
void check_input_file(const std::filesystem::path& file, const std::string& what);

// "1.5 GB", "12 kB": sizes for messages.
std::string readable_bytes(std::uint64_t bytes);

}  // namespace loihisim
