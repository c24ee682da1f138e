#include "site/status_page.hpp"

#include <algorithm>
#include <cassert>
#include <ctime>

namespace paxoskv::site {

namespace {

constexpr std::size_t kShortHashChars = 16;

constexpr std::string_view kStyle = R"(
:root{--ink:#1d2733;--muted:#6b7a89;--line:#e3e8ee;--bg:#f3f5f8;--ok:#23834b;--bad:#b83227}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);
 font:14px/1.45 system-ui,-apple-system,"Segoe UI","DejaVu Sans",sans-serif}
header{background:#1f2d3d;color:#fff;padding:14px 28px;display:flex;align-items:center;gap:14px}
header h1{font-size:20px;margin:0;font-weight:600}
header .sub{color:#aab7c4;margin-left:auto;font-size:13px}
main{padding:18px 28px 28px}
.cards{display:grid;grid-template-columns:repeat(8,1fr);gap:12px}
.card{background:#fff;border-radius:8px;padding:10px 14px;box-shadow:0 1px 2px rgba(0,0,0,.08)}
.card .label{font-size:11px;text-transform:uppercase;letter-spacing:.06em;color:var(--muted)}
.card .value{font-size:20px;font-weight:600;white-space:nowrap;overflow:hidden;
 text-overflow:ellipsis}
.layout{display:grid;grid-template-columns:minmax(0,3fr) minmax(0,2fr);gap:16px;margin-top:16px}
section{background:#fff;border-radius:8px;padding:14px 18px;box-shadow:0 1px 2px rgba(0,0,0,.08);
 margin-bottom:16px}
h2{font-size:15px;margin:0 0 8px}
.note{color:var(--muted);font-size:12.5px;margin:0 0 8px}
table{border-collapse:collapse;width:100%}
th{text-align:left;font-size:11px;text-transform:uppercase;letter-spacing:.05em;color:var(--muted);
 border-bottom:2px solid var(--line);padding:6px 10px}
td{padding:5px 10px;border-bottom:1px solid #eef1f4;vertical-align:baseline;white-space:nowrap}
td.wrap{white-space:normal;overflow-wrap:anywhere}
tbody tr:nth-child(even) td{background:#fafbfc}
.mono{font-family:ui-monospace,"DejaVu Sans Mono",monospace;font-size:12.5px}
.num{text-align:right;width:1%;white-space:nowrap}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;font-weight:600;
 color:#fff;background:#5b6b7c}
.badge.lead{background:var(--ok)}
.op{font-weight:600}
.op-put,.op-tag{color:#1f5fa8}.op-append{color:#7a4fb3}.op-delete{color:var(--bad)}
.op-no-op{color:var(--muted)}
.up{color:var(--ok);font-weight:600}.silent{color:var(--muted)}
.self{color:var(--muted)}
footer{color:var(--muted);font-size:12px;padding:0 28px 20px}
a{color:#1f5fa8}
)";

std::string short_hash(const Hash& hash) {
  std::string hex = to_hex(hash);
  return "<span class=\"mono\" title=\"" + hex + "\">" + hex.substr(0, kShortHashChars) +
         "&hellip;</span>";
}

std::string cut(std::string_view text, std::size_t max_chars) {
  if (text.size() <= max_chars) return html_escape(text);
  // Do not cut a UTF-8 sequence in half.
  std::size_t end = max_chars;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return html_escape(text.substr(0, end)) + "&hellip;";
}

std::string card(std::string_view label, const std::string& value_html) {
  return "<div class=\"card\"><div class=\"label\">" + std::string(label) +
         "</div><div class=\"value\">" + value_html + "</div></div>\n";
}

std::string site_name(const Cluster& cluster, std::optional<SiteId> id) {
  return id ? html_escape(cluster.name(*id)) : std::string("none");
}

std::string cards(const StatusPageData& data) {
  const ReplicaStatus& s = data.status;
  std::uint64_t dropped = data.drops.total();
  std::string peers;
  for (SiteId id : s.peers_up) peers += (peers.empty() ? "" : ", ") + site_name(data.cluster, id);
  std::string html = "<div class=\"cards\" id=\"status\">\n";
  html += card("site", html_escape(data.cluster.name(s.self)));
  html += card("leader", site_name(data.cluster, s.leader));
  html += card("ballot", html_escape(to_string(s.ballot)));
  html += card("decided", std::to_string(s.decided_end));
  html += card("applied", std::to_string(s.applied_end));
  html += card("compacted", std::to_string(s.compacted_end));
  html += card("peers up", peers.empty() ? "none" : peers);
  html += card("dropped", std::to_string(dropped));
  html += card("auth failed", std::to_string(data.drops.auth_failed));
  return html + "</div>\n";
}

std::string command_cell(const Command& command, std::size_t value_chars) {
  std::string op(op_name(command.op));
  std::string html = "<span class=\"op op-" + html_escape(op) + "\">" + html_escape(op) + "</span>";
  if (command.op == Op::noop) return html;
  html += " <span class=\"mono\">" + cut(command.key, value_chars) + "</span>";
  if (command.op == Op::del) return html;
  return html + " = <span class=\"mono\">" + cut(command.value, value_chars) + "</span>";
}

std::string chain_section(const StatusPageData& data, const StatusPageLimits& limits) {
  const std::vector<LogEntry>& log = data.log;
  std::size_t shown = std::min(log.size(), limits.blocks);
  std::string html =
      "<section id=\"chain\"><h2>Chain</h2>\n<p class=\"note\">head <span "
      "class=\"mono\">" +
      to_hex(log.empty() ? genesis_hash : log.back().hash) + "</span>";
  if (shown < log.size())
    html += " &middot; the latest " + std::to_string(shown) + " of " + std::to_string(log.size()) +
            " blocks";
  html +=
      "</p>\n<table><thead><tr><th class=\"num\">slot</th><th>hash</th><th>previous "
      "hash</th><th>command</th></tr></thead><tbody>\n";
  for (std::size_t i = log.size(); i > log.size() - shown; --i) {
    const LogEntry& entry = log[i - 1];
    std::string previous;
    if (i >= 2)
      previous = short_hash(log[i - 2].hash);
    else if (entry.slot == 0)
      previous = short_hash(genesis_hash);
    else
      previous = "<span class=\"self\">snapshot</span>";
    html += "<tr id=\"block-" + std::to_string(entry.slot) + "\"><td class=\"num mono\">" +
            std::to_string(entry.slot) + "</td><td>" + short_hash(entry.hash) + "</td><td>" +
            previous + "</td><td class=\"wrap\">" +
            command_cell(entry.command, limits.value_chars) + "</td></tr>\n";
  }
  if (log.empty()) html += "<tr><td colspan=\"4\" class=\"self\">no decided slots yet</td></tr>\n";
  return html + "</tbody></table></section>\n";
}

std::string peers_section(const StatusPageData& data) {
  const ReplicaStatus& s = data.status;
  std::string html =
      "<section id=\"peers\"><h2>Sites</h2>\n<p class=\"note\">heard: a message from it in "
      "the last election timeout (followers hear mostly from the "
      "leader)</p>\n<table><thead><tr><th>site</th><th>address</th>"
      "<th>role</th><th>state</th></tr></thead><tbody>\n";
  for (SiteId id = 0; id < data.cluster.size(); ++id) {
    const SiteInfo& info = data.cluster.site(id);
    bool up = std::find(s.peers_up.begin(), s.peers_up.end(), id) != s.peers_up.end();
    std::string state = id == s.self ? "<span class=\"self\">this site</span>"
                        : up         ? "<span class=\"up\">heard</span>"
                                     : "<span class=\"silent\">silent</span>";
    std::string name = html_escape(info.name);
    if (s.leader && *s.leader == id) name += " <span class=\"badge lead\">leader</span>";
    html += "<tr><td>" + name + "</td><td class=\"mono\">" + html_escape(info.host) + ":" +
            std::to_string(info.port) + "</td><td>" +
            (info.role == Role::voter ? "voter" : "learner") + "</td><td>" + state + "</td></tr>\n";
  }
  return html + "</tbody></table></section>\n";
}

std::string kv_section(const StatusPageData& data, const StatusPageLimits& limits) {
  std::string html = "<section id=\"kv\"><h2>Key-value map</h2>\n<p class=\"note\">" +
                     std::to_string(data.kv.size()) + (data.kv.size() == 1 ? " key" : " keys");
  if (data.kv.size() > limits.keys) html += ", the first " + std::to_string(limits.keys) + " shown";
  html += "</p>\n<table><thead><tr><th>key</th><th>value</th></tr></thead><tbody>\n";
  for (const auto* entry : sorted_kv(data.kv, limits.keys)) {
    const auto& [key, value] = *entry;
    html += "<tr><td class=\"mono wrap\">" + cut(key, limits.value_chars) +
            "</td><td class=\"mono wrap\">" + cut(value, limits.value_chars) + "</td></tr>\n";
  }
  if (data.kv.empty()) html += "<tr><td colspan=\"2\" class=\"self\">empty</td></tr>\n";
  return html + "</tbody></table></section>\n";
}

std::string clock_time() {
  std::time_t now = std::time(nullptr);
  std::tm local{};
  localtime_r(&now, &local);
  char text[16];
  std::strftime(text, sizeof text, "%H:%M:%S", &local);
  return text;
}

}  // namespace

std::string html_escape(std::string_view text) {
  std::string escaped;
  escaped.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        escaped += "&amp;";
        break;
      case '<':
        escaped += "&lt;";
        break;
      case '>':
        escaped += "&gt;";
        break;
      case '"':
        escaped += "&quot;";
        break;
      case '\'':
        escaped += "&#39;";
        break;
      default:
        escaped += c;
    }
  }
  return escaped;
}

std::string render_status_page(const StatusPageData& data, const StatusPageLimits& limits) {
  assert(data.status.self < data.cluster.size());
  const ReplicaStatus& s = data.status;
  std::string name = html_escape(data.cluster.name(s.self));
  std::string role = s.is_leader ? "<span class=\"badge lead\">leader</span>"
                                 : "<span class=\"badge\">follower</span>";
  if (!data.cluster.is_voter(s.self)) role = "<span class=\"badge\">learner</span>";
  std::string html = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n";
  html += "<meta http-equiv=\"refresh\" content=\"" + std::to_string(limits.refresh_seconds) +
          "\">\n<title>paxoskv &middot; " + name + "</title>\n<style>";
  html += kStyle;
  html += "</style></head><body>\n<header><h1>paxoskv &middot; " + name + "</h1>" + role +
          "<span class=\"sub\">updated " + clock_time() + "</span></header>\n<main>\n";
  html += cards(data);
  html += "<div class=\"layout\"><div>\n" + chain_section(data, limits) + "</div><div>\n";
  html += peers_section(data) + kv_section(data, limits) + "</div></div>\n</main>\n";
  html += "<footer>Read-only. Refreshes every " + std::to_string(limits.refresh_seconds) +
          " s. Counters in Prometheus format at <a href=\"/metrics\">/metrics</a>.</footer>\n";
  return html + "</body></html>\n";
}

}  // namespace paxoskv::site
