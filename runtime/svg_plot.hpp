// Small self-contained HTML and inline-SVG building blocks for the HTML report and the sweep's
// page (docs/html-report.md): no scripts, no network, every text escaped. Numbers are shown with
// html_number(), so a test can find the value a report holds in the page.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace loihisim::svg {

// & < > " ' as entities: for text and attribute values.
std::string html_escape(std::string_view text);
// A number as the page shows it: up to 6 significant digits ("{:.6g}").
std::string html_number(double value);
// A colour for a fraction 0..1 of a heat map (pale yellow -> orange -> dark red); "#eeeeee" for
// a negative fraction (nothing there).
std::string heat_colour(double fraction);
// Colour k of a qualitative palette (cycles after 10).
std::string palette(std::size_t k);

struct Bar {
  std::string label;
  double value = 0;
  std::string tooltip;  // the <title> of the bar (how the value is made); escaped here
  std::string shown;    // the text right of the bar; "" = html_number(value) and the unit
};
// Horizontal bar chart in an <svg id="ID">: one row per bar, label left, value right; the
// bar's tooltip ends in "= VALUE UNIT" (html_number), the exact figure.
std::string bar_chart(const std::string& id, const std::vector<Bar>& bars, const std::string& unit);

struct Point {
  double x = 0, y = 0;
  std::string label;       // tooltip
  bool highlight = false;  // drawn larger and dark (e.g. the Pareto front)
};
// Scatter plot in an <svg id="ID">, linear axes with 5 ticks each; highlighted points joined by
// a line in x order.
std::string scatter_plot(const std::string& id, const std::vector<Point>& points,
                         const std::string& x_label, const std::string& y_label);

// A table <table id="ID">; every cell is escaped.
std::string table(const std::string& id, const std::vector<std::string>& header,
                  const std::vector<std::vector<std::string>>& rows);

// A section with a heading and a figure (HTML) and an explanatory note (escaped).
std::string section(const std::string& heading, const std::string& figure_html,
                    const std::string& note);

// A complete page: the title (escaped) and the body (HTML) with the report's style sheet.
std::string page(const std::string& title, const std::string& body);

}  // namespace loihisim::svg
