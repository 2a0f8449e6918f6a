// Energies and times for people: three decimals in the largest unit below the value.
#pragma once

#include <string>

namespace loihisim {

std::string readable_energy_fj(double fj);  // "405.423 uJ"
std::string readable_time_ps(double ps);    // "29.327 ms"

}  // namespace loihisim
