// Names of enum values, written once next to each enum as a table of {value, name} pairs, so
// that printing, parsing and the list of allowed names in an error message can never disagree.
//
//   enum class Colour : std::uint8_t { kRed, kGreen };
//   inline constexpr std::array<EnumName<Colour>, 2> kColourNames = {{{Colour::kRed, "red"},
//                                                                     {Colour::kGreen, "green"}}};
//   name_of(kColourNames, Colour::kRed) == "red";  value_of(kColourNames, "green") == kGreen
//
// core/ knows no errors of input files: value_of returns nothing for an unknown name and the
// reader at the edge (io/enum_parse.hpp) turns that into a message listing allowed_names().
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace loihisim {

template <class E>
struct EnumName {
  E value;
  std::string_view name;
};

template <class E, std::size_t N>
constexpr std::string_view name_of(const std::array<EnumName<E>, N>& table, E value) {
  for (const auto& entry : table)
    if (entry.value == value) return entry.name;
  return "?";
}

template <class E, std::size_t N>
constexpr std::optional<E> value_of(const std::array<EnumName<E>, N>& table,
                                    std::string_view name) {
  for (const auto& entry : table)
    if (entry.name == name) return entry.value;
  return std::nullopt;
}

// "a, b, c": the names in table order, for messages.
template <class E, std::size_t N>
std::string allowed_names(const std::array<EnumName<E>, N>& table) {
  std::string out;
  for (const auto& entry : table) {
    if (!out.empty()) out += ", ";
    out += entry.name;
  }
  return out;
}

}  // namespace loihisim
