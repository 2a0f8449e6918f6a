// placeholder so the tree builds until the core-run command lands
#include "tools/commands.hpp"
namespace loihisim::tools {
void register_core_run(CLI::App&) {}
}
