// Parsing an enum's name from user input (options, file values) with the one message format:
// "unknown WHAT 'text' (allowed: a, b, c)". The names come from the enum's table
// (core/enum_names.hpp), defined once next to the enum.
#pragma once

#include <string>

#include "core/enum_names.hpp"
#include "io/errors.hpp"

namespace loihisim {

template <class E, std::size_t N>
E parse_enum(const std::array<EnumName<E>, N>& table, const std::string& text,
             const std::string& what) {
  if (const auto v = value_of(table, text)) return *v;
  throw InputError("unknown " + what + " '" + text + "' (allowed: " + allowed_names(table) + ")");
}

}  // namespace loihisim
