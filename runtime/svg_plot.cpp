#include "runtime/svg_plot.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <array>
#include <cmath>

namespace loihisim::svg {

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string html_number(double value) {
  return fmt::format("{:.6g}", value);
}

std::string heat_colour(double fraction) {
  if (fraction < 0) return "#eeeeee";
  const double f = std::clamp(fraction, 0.0, 1.0);
  // pale yellow (255,247,188) -> orange (254,153,41) -> dark red (153,0,13)
  const std::array<std::array<double, 3>, 3> stops = {
      {{255, 247, 188}, {254, 153, 41}, {153, 0, 13}}};
  const double t = f * 2.0;
  const std::size_t i = t >= 1.0 ? 1 : 0;
  const double u = t - static_cast<double>(i);
  std::array<int, 3> rgb{};
  for (std::size_t k = 0; k < 3; ++k)
    rgb[k] = static_cast<int>(std::lround(stops[i][k] + (stops[i + 1][k] - stops[i][k]) * u));
  return fmt::format("#{:02x}{:02x}{:02x}", rgb[0], rgb[1], rgb[2]);
}

std::string palette(std::size_t k) {
  static const std::array<const char*, 10> colours = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728",
                                                      "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
                                                      "#bcbd22", "#17becf"};
  return colours[k % colours.size()];
}

std::string bar_chart(const std::string& id, const std::vector<Bar>& bars,
                      const std::string& unit) {
  const int row = 20, label_w = 230, bar_w = 420, value_w = 240;
  const int height = row * static_cast<int>(bars.size()) + 10;
  double max = 0;
  for (const auto& b : bars) max = std::max(max, b.value);
  std::string s = fmt::format(
      "<svg id=\"{}\" class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" "
      "height=\"{}\" role=\"img\">\n",
      html_escape(id), label_w + bar_w + value_w, height);
  for (std::size_t i = 0; i < bars.size(); ++i) {
    const auto& b = bars[i];
    const int y = 5 + row * static_cast<int>(i);
    const double w = max > 0 ? bar_w * std::max(b.value, 0.0) / max : 0.0;
    s += fmt::format(
        "<g><title>{}</title><text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>"
        "<rect x=\"{}\" y=\"{}\" width=\"{:.2f}\" height=\"{}\" fill=\"{}\"/>"
        "<text x=\"{:.2f}\" y=\"{}\">{}</text></g>\n",
        html_escape(b.tooltip + (b.tooltip.empty() ? "" : " ") + "= " + html_number(b.value) + " " +
                    unit),
        label_w - 6, y + 14, html_escape(b.label), label_w, y + 2, w, row - 5, palette(0),
        label_w + w + 6, y + 14,
        html_escape(b.shown.empty() ? html_number(b.value) + " " + unit : b.shown));
  }
  return s + "</svg>\n";
}

namespace {

struct Axis {
  double lo = 0, hi = 1;
  double at(double v, double px0, double px1) const {
    return px0 + (v - lo) / (hi - lo) * (px1 - px0);
  }
};

Axis axis_of(const std::vector<double>& v) {
  Axis a;
  if (v.empty()) return a;
  a.lo = *std::min_element(v.begin(), v.end());
  a.hi = *std::max_element(v.begin(), v.end());
  const double pad = a.hi > a.lo ? (a.hi - a.lo) * 0.08 : std::max(std::fabs(a.hi) * 0.1, 1.0);
  a.lo -= pad;
  a.hi += pad;
  return a;
}

std::string axes(const Axis& ax, const Axis& ay, int x0, int x1, int y0, int y1,
                 const std::string& x_label, const std::string& y_label) {
  std::string s = fmt::format(
      "<line x1=\"{0}\" y1=\"{2}\" x2=\"{1}\" y2=\"{2}\" stroke=\"#333\"/>"
      "<line x1=\"{0}\" y1=\"{3}\" x2=\"{0}\" y2=\"{2}\" stroke=\"#333\"/>\n",
      x0, x1, y0, y1);
  for (int k = 0; k <= 4; ++k) {
    const double xv = ax.lo + (ax.hi - ax.lo) * k / 4.0;
    const double yv = ay.lo + (ay.hi - ay.lo) * k / 4.0;
    const double px = ax.at(xv, x0, x1), py = ay.at(yv, y0, y1);
    s += fmt::format(
        "<text x=\"{:.1f}\" y=\"{}\" text-anchor=\"middle\" class=\"tick\">{}</text>"
        "<text x=\"{}\" y=\"{:.1f}\" text-anchor=\"end\" class=\"tick\">{}</text>\n",
        px, y0 + 16, fmt::format("{:.3g}", xv), x0 - 6, py + 4, fmt::format("{:.3g}", yv));
  }
  s += fmt::format(
      "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>"
      "<text x=\"14\" y=\"{}\" text-anchor=\"middle\" transform=\"rotate(-90 14 {})\">{}</text>\n",
      (x0 + x1) / 2, y0 + 36, html_escape(x_label), (y0 + y1) / 2, (y0 + y1) / 2,
      html_escape(y_label));
  return s;
}

}  // namespace

std::string scatter_plot(const std::string& id, const std::vector<Point>& points,
                         const std::string& x_label, const std::string& y_label) {
  const int width = 560, height = 360, x0 = 80, x1 = width - 20, y0 = height - 50, y1 = 15;
  std::vector<double> xs, ys;
  for (const auto& p : points) {
    xs.push_back(p.x);
    ys.push_back(p.y);
  }
  const Axis ax = axis_of(xs), ay = axis_of(ys);
  std::string s = fmt::format(
      "<svg id=\"{}\" class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" "
      "height=\"{}\" role=\"img\">\n",
      html_escape(id), width, height);
  s += axes(ax, ay, x0, x1, y0, y1, x_label, y_label);
  std::vector<Point> front;
  for (const auto& p : points)
    if (p.highlight) front.push_back(p);
  std::sort(front.begin(), front.end(), [](const Point& a, const Point& b) { return a.x < b.x; });
  std::string line;
  for (const auto& p : front)
    line += fmt::format("{:.1f},{:.1f} ", ax.at(p.x, x0, x1), ay.at(p.y, y0, y1));
  if (!line.empty())
    s += fmt::format("<polyline points=\"{}\" fill=\"none\" stroke=\"{}\"/>\n", line, palette(3));
  for (const auto& p : points)
    s += fmt::format(
        "<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"{}\" fill=\"{}\"><title>{}</title></circle>\n",
        ax.at(p.x, x0, x1), ay.at(p.y, y0, y1), p.highlight ? 6 : 4,
        p.highlight ? palette(3) : palette(0), html_escape(p.label));
  return s + "</svg>\n";
}

std::string table(const std::string& id, const std::vector<std::string>& header,
                  const std::vector<std::vector<std::string>>& rows) {
  std::string s = fmt::format("<table id=\"{}\">\n<tr>", html_escape(id));
  for (const auto& h : header) s += "<th>" + html_escape(h) + "</th>";
  s += "</tr>\n";
  for (const auto& r : rows) {
    s += "<tr>";
    for (const auto& c : r) s += "<td>" + html_escape(c) + "</td>";
    s += "</tr>\n";
  }
  return s + "</table>\n";
}

std::string section(const std::string& heading, const std::string& figure_html,
                    const std::string& note) {
  return fmt::format("<section>\n<h2>{}</h2>\n{}<p class=\"note\">{}</p>\n</section>\n",
                     html_escape(heading), figure_html, html_escape(note));
}

std::string page(const std::string& title, const std::string& body) {
  return fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<title>{0}</title>\n<style>\n"
      "body {{ font-family: sans-serif; margin: 1.5em; color: #222; max-width: 1100px; }}\n"
      "h1 {{ font-size: 1.5em; }} h2 {{ font-size: 1.15em; border-bottom: 1px solid #ccc; }}\n"
      "table {{ border-collapse: collapse; margin: 0.5em 0; }}\n"
      "td, th {{ border: 1px solid #ccc; padding: 2px 8px; text-align: left; "
      "font-size: 0.9em; }}\n"
      "th {{ background: #f0f0f0; }}\n"
      ".wide {{ overflow-x: auto; }}\n"
      "svg.chart {{ font-size: 12px; display: block; margin: 0.5em 0; }}\n"
      "svg .tick {{ font-size: 10px; fill: #555; }}\n"
      ".note {{ color: #555; font-size: 0.85em; }}\n"
      "</style>\n</head>\n<body>\n<h1>{0}</h1>\n{1}</body>\n</html>\n",
      html_escape(title), body);
}

}  // namespace loihisim::svg
