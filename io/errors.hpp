// Errors caused by user input (files, options). The command line prints the message and exits
// non-zero; messages name the file, the object (key path) and the limit.
#pragma once

#include <stdexcept>
#include <string>

namespace loihisim {

class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace loihisim
