// Phase cache benchmark (issue targets: 10,000 files holding 100,000 phases;
// no-op Refresh within 0.3 s; Get and Children within 20 us at the 99th
// percentile; a restart's first answer within 0.5 s), on a real database.
//
//   phase_bench [--files N] [--phases-per-file K] [--db URL]
//
// The synthetic tree is flowlord-shaped: per file one cron-scheduled root
// task with a job and a chain/fan-out of dependent tasks (dependsOn topic or
// topic:job), templates with time placeholders, a few retries; files spread
// over 100 folders. It writes a temporary tree and (without --db) a temporary
// SQLite database, prints a markdown table and removes both.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "flowsync/catalog.h"
#include "flowsync/phase_cache.h"
#include "flowsync/store.h"

namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

void Die(const flowsync::Status& s) {
  std::fprintf(stderr, "phase_bench: %s\n", s.ToString().c_str());
  std::exit(1);
}

std::string FileText(int file, int phases, std::mt19937& rng) {
  std::string out;
  std::string root = "load" + std::to_string(file);
  out += "[[phase]]\ntask = \"" + root + ":hourly\"\nrule = \"cron=" + std::to_string(rng() % 60) +
         " * * * *&offset=-1h\"\n" + "template = \"s3://bucket/raw/{yyyy}/{mm}/{dd}/{hh}/" + root +
         ".json\"\nretry = 3\n\n";
  for (int p = 1; p < phases; ++p) {
    std::string parent = p == 1
                             ? root + ":hourly"
                             : "step" + std::to_string(file) + "_" + std::to_string(1 + rng() % p);
    if (p > 1 && parent == "step" + std::to_string(file) + "_" + std::to_string(p)) {
      parent = root;
    }
    out += "[[phase]]\ntask = \"step" + std::to_string(file) + "_" + std::to_string(p) +
           "\"\ndependsOn = \"" + parent +
           "\"\ntemplate = \"?day={yyyy}-{mm}-{dd}&n=" + std::to_string(p) + "\"\n" +
           (p % 4 == 0 ? "retry = 2\n" : "") + "\n";
  }
  return out;
}

double Percentile(std::vector<double>& v, double p) {
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

}  // namespace

int main(int argc, char** argv) {
  int files = 10000, per_file = 10;
  std::string db_url;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--files" && i + 1 < argc)
      files = std::atoi(argv[++i]);
    else if (a == "--phases-per-file" && i + 1 < argc)
      per_file = std::atoi(argv[++i]);
    else if (a == "--db" && i + 1 < argc)
      db_url = argv[++i];
    else {
      std::fprintf(stderr, "usage: phase_bench [--files N] [--phases-per-file K] [--db URL]\n");
      return 2;
    }
  }
  namespace fs = std::filesystem;
  std::string tmpl = (fs::temp_directory_path() / "flowsync-phase-bench-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) return 1;
  fs::path dir(tmpl), root = dir / "tree";
  std::mt19937 rng(42);
  for (int f = 0; f < files; ++f) {
    fs::path file =
        root / ("team" + std::to_string(f % 100)) / ("flow" + std::to_string(f) + ".toml");
    fs::create_directories(file.parent_path());
    std::ofstream(file) << FileText(f, per_file, rng);
  }
  if (db_url.empty()) db_url = "sqlite:" + (dir / "bench.db").string();

  auto url = flowsync::ParseDatabaseUrl(db_url);
  if (!url.ok()) Die(url.status());
  auto open = [&] {
    auto store = flowsync::OpenStore(*url, {});
    if (!store.ok()) Die(store.status());
    return std::move(store).value();
  };
  std::vector<std::pair<std::string, std::string>> rows;
  auto row = [&](std::string what, std::string value) { rows.emplace_back(what, value); };

  auto fmt_s = [](double s) {
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%.3f s", s);
    return std::string(buf);
  };
  auto fmt_us = [](double s) {
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%.1f us", s * 1e6);
    return std::string(buf);
  };

  // Initial load: parse every file, store it.
  {
    auto store = open();
    auto cache = flowsync::OpenPhaseCache(store.get(), root.string());
    if (!cache.ok()) Die(cache.status());
    auto t0 = Clock::now();
    auto report = (*cache)->Refresh();
    if (!report.ok()) Die(report.status());
    row("initial Refresh (parse and store every file)", fmt_s(Seconds(Clock::now() - t0)));
    if (!report->errors.empty()) Die(report->errors[0].status);
  }

  // What a restart reads from the database, on its own.
  {
    auto store = open();
    auto t = Clock::now();
    auto sources = store->catalog().ListPhaseSources();
    if (!sources.ok()) Die(sources.status());
    row("restart: read the stored phases alone", fmt_s(Seconds(Clock::now() - t)));
  }

  // A restart: open the database, load the index, answer one question.
  auto t0 = Clock::now();
  auto store = open();
  auto cache = flowsync::OpenPhaseCache(store.get(), root.string());
  if (!cache.ok()) Die(cache.status());
  flowsync::Task first{"step0_3", "", "workflow=team0/flow0.toml"};
  if (!(*cache)->Get(first)) Die(flowsync::Status::Internal("first answer missing"));
  row("restart: open, load index, first Get", fmt_s(Seconds(Clock::now() - t0)));

  // The first Refresh after a restart (the stored signatures spare the
  // hashing); later ones are the steady state.
  t0 = Clock::now();
  auto r1 = (*cache)->Refresh();
  if (!r1.ok()) Die(r1.status());
  row("first Refresh after restart (no change)", fmt_s(Seconds(Clock::now() - t0)));
  std::vector<double> noop;
  for (int i = 0; i < 7; ++i) {
    t0 = Clock::now();
    auto r = (*cache)->Refresh();
    if (!r.ok()) Die(r.status());
    if (!r->changed.empty()) Die(flowsync::Status::Internal("no-op Refresh changed something"));
    noop.push_back(Seconds(Clock::now() - t0));
  }
  row("no-op Refresh (median of 7)", fmt_s(Percentile(noop, 0.5)));

  // Lookups: random tasks of random files, as flowlord asks them.
  std::vector<double> get_t, children_t;
  std::uniform_int_distribution<int> pick_file(0, files - 1), pick_phase(1, per_file - 1);
  size_t found = 0;
  for (int i = 0; i < 100000; ++i) {
    int f = pick_file(rng);
    std::string key = "team" + std::to_string(f % 100) + "/flow" + std::to_string(f) + ".toml";
    flowsync::Task t{"step" + std::to_string(f) + "_" + std::to_string(pick_phase(rng)), "",
                     "workflow=" + key};
    auto a = Clock::now();
    auto g = (*cache)->Get(t);
    auto b = Clock::now();
    auto c = (*cache)->Children(t);
    auto d = Clock::now();
    found += g.has_value() + c.size();
    get_t.push_back(Seconds(b - a));
    children_t.push_back(Seconds(d - b));
  }
  row("Get p50 / p99 (100,000 lookups)",
      fmt_us(Percentile(get_t, 0.5)) + " / " + fmt_us(Percentile(get_t, 0.99)));
  row("Children p50 / p99",
      fmt_us(Percentile(children_t, 0.5)) + " / " + fmt_us(Percentile(children_t, 0.99)));

  std::printf("phase cache: %d files, %d phases, %s (%zu answers)\n\n", files, files * per_file,
              url->kind == flowsync::DatabaseUrl::Kind::kPostgres ? "PostgreSQL" : "SQLite", found);
  std::printf("| measure | value |\n|---|---|\n");
  for (auto& [what, value] : rows) std::printf("| %s | %s |\n", what.c_str(), value.c_str());
  std::error_code ec;
  fs::remove_all(dir, ec);
  return 0;
}
