#include "io/version.hpp"

namespace loihisim {

const char* version() {
  return LOIHISIM_VERSION;
}

}  // namespace loihisim
