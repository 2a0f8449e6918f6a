// The simulator's version, stamped into every result file so results can be traced to code.
#pragma once

namespace loihisim {

const char* version();

}  // namespace loihisim
