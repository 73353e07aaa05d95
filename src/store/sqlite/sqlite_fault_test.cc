// Disk faults under a sync on SQLite: a VFS wrapped around the default one
// fails the N-th write or fsync of the process's database files (and every
// one after it, as a full disk or a failing device goes on failing), for
// N = 1, 2, ... until a run gets past its last write or fsync untouched.
// Each cut run must end in a clear error naming the database, or succeed
// when the fault came after its commit; either way the database passes
// PRAGMA integrity_check, holds exactly the state before or after the run
// (workflows, versions and audit log compared by content), and the next
// run converges to the files.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "flowsync/database_url.h"
#include "flowsync/phase_cache.h"
#include "flowsync/store.h"
#include "flowsync/sync.h"
#include "promote/migrate.h"
#include "util/test_util.h"

namespace flowsync {
namespace {

enum class FaultOp { kWrite, kSync };

// The fault VFS's state. Tests run one at a time in a process.
struct Faults {
  sqlite3_vfs* base = nullptr;
  FaultOp op = FaultOp::kWrite;
  int error = SQLITE_IOERR_WRITE;
  int64_t fail_at = 0;  // 0: disarmed
  int64_t count = 0;    // writes or fsyncs seen since armed
  bool hit = false;

  void Arm(FaultOp o, int e, int64_t n) {
    op = o;
    error = e;
    fail_at = n;
    count = 0;
    hit = false;
  }
  void Disarm() { fail_at = 0; }
  // Whether this write or fsync fails.
  bool Fails(FaultOp o) {
    if (fail_at == 0 || o != op) return false;
    if (++count >= fail_at) hit = true;
    return hit;
  }
};
Faults g_faults;

struct FaultFile {
  sqlite3_file file;  // first: SQLite sees a FaultFile as a sqlite3_file
  sqlite3_file* real;
};

sqlite3_file* Real(sqlite3_file* f) { return reinterpret_cast<FaultFile*>(f)->real; }

int FaultClose(sqlite3_file* f) { return Real(f)->pMethods->xClose(Real(f)); }
int FaultRead(sqlite3_file* f, void* buf, int n, sqlite3_int64 at) {
  return Real(f)->pMethods->xRead(Real(f), buf, n, at);
}
int FaultWrite(sqlite3_file* f, const void* buf, int n, sqlite3_int64 at) {
  if (g_faults.Fails(FaultOp::kWrite)) return g_faults.error;
  return Real(f)->pMethods->xWrite(Real(f), buf, n, at);
}
int FaultTruncate(sqlite3_file* f, sqlite3_int64 size) {
  return Real(f)->pMethods->xTruncate(Real(f), size);
}
int FaultSync(sqlite3_file* f, int flags) {
  if (g_faults.Fails(FaultOp::kSync)) return g_faults.error;
  return Real(f)->pMethods->xSync(Real(f), flags);
}
int FaultFileSize(sqlite3_file* f, sqlite3_int64* size) {
  return Real(f)->pMethods->xFileSize(Real(f), size);
}
int FaultLock(sqlite3_file* f, int lock) { return Real(f)->pMethods->xLock(Real(f), lock); }
int FaultUnlock(sqlite3_file* f, int lock) { return Real(f)->pMethods->xUnlock(Real(f), lock); }
int FaultCheckReservedLock(sqlite3_file* f, int* out) {
  return Real(f)->pMethods->xCheckReservedLock(Real(f), out);
}
int FaultFileControl(sqlite3_file* f, int op, void* arg) {
  return Real(f)->pMethods->xFileControl(Real(f), op, arg);
}
int FaultSectorSize(sqlite3_file* f) { return Real(f)->pMethods->xSectorSize(Real(f)); }
int FaultDeviceCharacteristics(sqlite3_file* f) {
  return Real(f)->pMethods->xDeviceCharacteristics(Real(f));
}
int FaultShmMap(sqlite3_file* f, int page, int size, int extend, void volatile** out) {
  return Real(f)->pMethods->xShmMap(Real(f), page, size, extend, out);
}
int FaultShmLock(sqlite3_file* f, int offset, int n, int flags) {
  return Real(f)->pMethods->xShmLock(Real(f), offset, n, flags);
}
void FaultShmBarrier(sqlite3_file* f) { Real(f)->pMethods->xShmBarrier(Real(f)); }
int FaultShmUnmap(sqlite3_file* f, int remove) {
  return Real(f)->pMethods->xShmUnmap(Real(f), remove);
}
int FaultFetch(sqlite3_file* f, sqlite3_int64 at, int n, void** out) {
  return Real(f)->pMethods->xFetch(Real(f), at, n, out);
}
int FaultUnfetch(sqlite3_file* f, sqlite3_int64 at, void* p) {
  return Real(f)->pMethods->xUnfetch(Real(f), at, p);
}

const sqlite3_io_methods kFaultMethods = {3,
                                          FaultClose,
                                          FaultRead,
                                          FaultWrite,
                                          FaultTruncate,
                                          FaultSync,
                                          FaultFileSize,
                                          FaultLock,
                                          FaultUnlock,
                                          FaultCheckReservedLock,
                                          FaultFileControl,
                                          FaultSectorSize,
                                          FaultDeviceCharacteristics,
                                          FaultShmMap,
                                          FaultShmLock,
                                          FaultShmBarrier,
                                          FaultShmUnmap,
                                          FaultFetch,
                                          FaultUnfetch};

int FaultOpen(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* f, int flags, int* out_flags) {
  auto* ff = reinterpret_cast<FaultFile*>(f);
  ff->real = reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(f) + sizeof(FaultFile));
  ff->file.pMethods = nullptr;
  int rc = g_faults.base->xOpen(g_faults.base, name, ff->real, flags, out_flags);
  // Only a file the base VFS opened gets methods (and so an xClose).
  if (ff->real->pMethods != nullptr) ff->file.pMethods = &kFaultMethods;
  return rc;
}

// Everything but xOpen goes to the base VFS as it is.
sqlite3_vfs MakeFaultVfs(sqlite3_vfs* base) {
  sqlite3_vfs v = {};
  v.iVersion = 2;
  v.szOsFile = static_cast<int>(sizeof(FaultFile)) + base->szOsFile;
  v.mxPathname = base->mxPathname;
  v.zName = "flowsync-fault";
  v.xOpen = FaultOpen;
  v.xDelete = [](sqlite3_vfs*, const char* n, int d) {
    return g_faults.base->xDelete(g_faults.base, n, d);
  };
  v.xAccess = [](sqlite3_vfs*, const char* n, int f, int* out) {
    return g_faults.base->xAccess(g_faults.base, n, f, out);
  };
  v.xFullPathname = [](sqlite3_vfs*, const char* n, int size, char* out) {
    return g_faults.base->xFullPathname(g_faults.base, n, size, out);
  };
  v.xDlOpen = [](sqlite3_vfs*, const char* n) { return g_faults.base->xDlOpen(g_faults.base, n); };
  v.xDlError = [](sqlite3_vfs*, int n, char* out) {
    g_faults.base->xDlError(g_faults.base, n, out);
  };
  v.xDlSym = [](sqlite3_vfs*, void* h, const char* s) {
    return g_faults.base->xDlSym(g_faults.base, h, s);
  };
  v.xDlClose = [](sqlite3_vfs*, void* h) { g_faults.base->xDlClose(g_faults.base, h); };
  v.xRandomness = [](sqlite3_vfs*, int n, char* out) {
    return g_faults.base->xRandomness(g_faults.base, n, out);
  };
  v.xSleep = [](sqlite3_vfs*, int us) { return g_faults.base->xSleep(g_faults.base, us); };
  v.xCurrentTime = [](sqlite3_vfs*, double* out) {
    return g_faults.base->xCurrentTime(g_faults.base, out);
  };
  v.xGetLastError = [](sqlite3_vfs*, int n, char* out) {
    return g_faults.base->xGetLastError(g_faults.base, n, out);
  };
  v.xCurrentTimeInt64 = [](sqlite3_vfs*, sqlite3_int64* out) {
    return g_faults.base->xCurrentTimeInt64(g_faults.base, out);
  };
  return v;
}
sqlite3_vfs g_fault_vfs;

// The rows `queries` read from the database at `path`, without the fault
// VFS, after PRAGMA integrity_check's answer.
std::string Rows(const std::string& path, const std::vector<std::string>& queries) {
  sqlite3* db = nullptr;
  std::string out;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, g_faults.base->zName) != SQLITE_OK) {
    sqlite3_close(db);
    return "cannot open " + path;
  }
  std::vector<std::string> all = {"PRAGMA integrity_check"};
  all.insert(all.end(), queries.begin(), queries.end());
  for (const std::string& q : all) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db, q.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
      out += std::string("error: ") + sqlite3_errmsg(db) + "\n";
      continue;
    }
    while (sqlite3_step(stmt) == SQLITE_ROW) {
      for (int c = 0; c < sqlite3_column_count(stmt); ++c) {
        const unsigned char* text = sqlite3_column_text(stmt, c);
        out += text ? reinterpret_cast<const char*>(text) : "NULL";
        out += '|';
      }
      out += '\n';
    }
    sqlite3_finalize(stmt);
    out += "--\n";
  }
  sqlite3_close(db);
  return out;
}

// Workflows, versions and audit log by content (no ids, run numbers or
// times).
std::string Snapshot(const std::string& path) {
  return Rows(path,
              {"SELECT path, content_hash, deleted_at IS NOT NULL, version, name FROM workflows "
               "ORDER BY path",
               "SELECT w.path, v.version, v.content_hash, v.path FROM workflow_versions v JOIN "
               "workflows w ON w.id = v.workflow_id ORDER BY 1, 2",
               "SELECT event, path, COALESCE(old_path, ''), COALESCE(new_hash, '') FROM "
               "workflow_sync_log ORDER BY 1, 2, 3, 4"});
}

std::string Workflow(const std::string& name, const std::string& note) {
  return R"({"name": ")" + name +
         R"(", "nodes": [{"name": "Start", "type": "n8n-nodes-base.start",)" +
         R"( "parameters": {"note": ")" + note + R"("}}], "connections": {}})";
}

class SqliteFaultTest : public ::testing::TestWithParam<std::tuple<FaultOp, int>> {
 protected:
  void SetUp() override {
    g_faults.base = sqlite3_vfs_find(nullptr);
    ASSERT_NE(g_faults.base, nullptr);
    g_fault_vfs = MakeFaultVfs(g_faults.base);
    ASSERT_EQ(sqlite3_vfs_register(&g_fault_vfs, /*makeDflt=*/1), SQLITE_OK);
  }
  void TearDown() override {
    g_faults.Disarm();
    sqlite3_vfs_register(g_faults.base, 1);
    sqlite3_vfs_unregister(&g_fault_vfs);
  }

  // Opens the database at `path`, arms the fault (fail_at 0: none), runs
  // `op` and closes the database, then disarms: a process that then exits.
  Status WithFault(const std::string& path, int64_t fail_at,
                   const std::function<Status(Store&)>& op) {
    auto store = OpenStore(*ParseDatabaseUrl("sqlite:" + path), {});
    if (!store.ok()) return store.status();
    g_faults.Arm(std::get<0>(GetParam()), std::get<1>(GetParam()), fail_at);
    Status s = op(**store);
    store->reset();
    g_faults.Disarm();
    return s;
  }

  Status Sync(Store& store) {
    SyncOptions o;
    o.root = tree_.path();
    o.threads = 1;
    return RunSync(store, o).status();
  }

  // Runs `op` on copies of the database `start` with the k-th write or
  // fsync failing, k = 1, 2, ... until a run gets past them all. A cut run
  // must fail naming the database, or succeed when the fault came after
  // its last commit; the database must pass integrity_check and hold one of
  // `allowed` (by `snapshot`; the last is the state after a whole run), and
  // the next run without faults must reach that state.
  void CutEveryFault(const std::string& start, const std::function<Status(Store&)>& op,
                     const std::function<std::string(const std::string&)>& snapshot,
                     const std::vector<std::string>& allowed) {
    const std::string& after = allowed.back();
    int64_t cut = 0, failed = 0;
    for (int64_t n = 1; n < 10'000; ++n) {
      const std::string db = dir_.path() + "/trial.db";
      std::filesystem::remove(db);
      std::filesystem::remove(db + "-wal");
      std::filesystem::remove(db + "-shm");
      std::filesystem::copy_file(start, db);
      Status s = WithFault(db, n, op);
      if (!g_faults.hit) {
        ASSERT_OK(s);
        EXPECT_EQ(snapshot(db), after);
        break;
      }
      ++cut;
      const std::string state = snapshot(db);
      if (s.ok()) {
        // The fault came after the commit (a checkpoint): the run stands.
        EXPECT_EQ(state, after) << "fault " << n;
      } else {
        ++failed;
        EXPECT_EQ(s.code(), StatusCode::kIOError) << "fault " << n << ": " << s.ToString();
        EXPECT_NE(s.message().find("sqlite:" + db), std::string::npos)
            << "fault " << n << ": the error does not name the database: " << s.message();
        EXPECT_NE(std::find(allowed.begin(), allowed.end(), state), allowed.end())
            << "fault " << n << ": a state no run leaves:\n"
            << state << "\nafter:\n"
            << after;
      }
      // The next run, without faults, converges.
      Status next = WithFault(db, 0, op);
      ASSERT_TRUE(next.ok()) << "after fault " << n << ": " << next.ToString();
      EXPECT_EQ(snapshot(db), after) << "after fault " << n;
    }
    EXPECT_GT(cut, 0);
    // With synchronous=NORMAL a commit writes the WAL without an fsync: the
    // fsyncs are mostly the checkpoint's, after the commit.
    if (std::get<0>(GetParam()) == FaultOp::kWrite) {
      EXPECT_GT(failed, 0);
    }
    std::printf("%lld runs cut, %lld of them failed\n", static_cast<long long>(cut),
                static_cast<long long>(failed));
  }

  test::TempDir tree_, dir_;
};

TEST_P(SqliteFaultTest, EveryWriteOrFsyncOfASyncFailsInTurn) {
  auto sync = [this](Store& store) { return Sync(store); };
  for (int i = 0; i < 6; ++i) tree_.Write("w" + std::to_string(i) + ".json", Workflow("W", "a"));
  const std::string before_db = dir_.path() + "/before.db";
  ASSERT_OK(WithFault(before_db, 0, sync));
  // Edits, an addition, a deletion and a rename.
  tree_.Write("w0.json", Workflow("W", "edited"));
  tree_.Write("w1.json", Workflow("W1", "b"));
  tree_.Write("new.json", Workflow("New", "c"));
  tree_.Remove("w2.json");
  std::filesystem::rename(tree_.path() + "/w3.json", tree_.path() + "/moved.json");
  const std::string after_db = dir_.path() + "/after.db";
  std::filesystem::copy_file(before_db, after_db);
  ASSERT_OK(WithFault(after_db, 0, sync));
  ASSERT_NE(Snapshot(before_db), Snapshot(after_db));
  CutEveryFault(before_db, sync, Snapshot, {Snapshot(before_db), Snapshot(after_db)});
}

// Each migration is its own transaction: a cut run leaves the first k
// applied, each with all its rows or none.
TEST_P(SqliteFaultTest, EveryWriteOrFsyncOfMigrateUpFailsInTurn) {
  for (int i = 1; i <= 3; ++i) {
    tree_.Write("migrations/2026010100000" + std::to_string(i) + "_m.sql",
                "CREATE TABLE t" + std::to_string(i) + " (x TEXT);\nINSERT INTO t" +
                    std::to_string(i) + " SELECT 'row ' || value FROM json_each('[1,2,3,4,5]');\n");
  }
  auto up_to = [this](std::optional<std::string> target) {
    return [this, target](Store& store) -> Status {
      FS_TRY_ASSIGN(auto history, store.OpenMigrationHistory());
      FS_TRY_ASSIGN(MigrationFolder folder,
                    LoadMigrations(RealFileSystem(), tree_.path() + "/migrations"));
      UpOptions options;
      options.applied_by = "tester@host";
      options.target = target;
      FS_TRY_ASSIGN(UpReport report, MigrateUp(*history, folder, options));
      return report.failure;
    };
  };
  auto snapshot = [](const std::string& path) {
    return Rows(path,
                {"SELECT version, name, checksum, installed_rank, status FROM "
                 "flowsync_migrations ORDER BY version",
                 "SELECT 't1', x FROM t1", "SELECT 't2', x FROM t2", "SELECT 't3', x FROM t3"});
  };
  std::vector<std::string> states;
  const std::string start = dir_.path() + "/start.db";
  for (int k = 0; k <= 3; ++k) {
    const std::string db = dir_.path() + "/applied" + std::to_string(k) + ".db";
    if (k == 0) {
      ASSERT_OK(WithFault(db, 0, [](Store&) { return Status::OK(); }));
      std::filesystem::copy_file(db, start);
    } else {
      std::filesystem::copy_file(start, db);
      ASSERT_OK(WithFault(db, 0, up_to("2026010100000" + std::to_string(k))));
    }
    states.push_back(snapshot(db));
  }
  CutEveryFault(start, up_to(std::nullopt), snapshot, states);
}

// A phase refresh is a sync of the phase files and their index.
TEST_P(SqliteFaultTest, EveryWriteOrFsyncOfAPhaseRefreshFailsInTurn) {
  tree_.Write("etl.toml", "[[phase]]\ntask = \"load\"\nrule = \"cron=0 5 * * * *\"\n");
  auto refresh = [this](Store& store) -> Status {
    FS_TRY_ASSIGN(auto cache, OpenPhaseCache(&store, tree_.path()));
    return cache->Refresh().status();
  };
  auto snapshot = [](const std::string& path) {
    return Snapshot(path) +
           Rows(path, {"SELECT w.path, p.position, p.task, p.depends_on, p.rule, p.template FROM "
                       "phase_entries p JOIN workflows w ON w.id = "
                       "p.workflow_id ORDER BY 1, 2"});
  };
  const std::string before_db = dir_.path() + "/before.db";
  ASSERT_OK(WithFault(before_db, 0, refresh));
  tree_.Write("etl.toml",
              "[[phase]]\ntask = \"load\"\nrule = \"cron=0 6 * * * *\"\n"
              "[[phase]]\ntask = \"transform\"\ndependsOn = \"load\"\n");
  tree_.Write("more.toml", "[[phase]]\ntask = \"report\"\nrule = \"cron=0 7 * * * *\"\n");
  const std::string after_db = dir_.path() + "/after.db";
  std::filesystem::copy_file(before_db, after_db);
  ASSERT_OK(WithFault(after_db, 0, refresh));
  ASSERT_NE(snapshot(before_db), snapshot(after_db));
  CutEveryFault(before_db, refresh, snapshot, {snapshot(before_db), snapshot(after_db)});
}

std::string FaultName(const ::testing::TestParamInfo<std::tuple<FaultOp, int>>& info) {
  const bool write = std::get<0>(info.param) == FaultOp::kWrite;
  switch (std::get<1>(info.param)) {
    case SQLITE_FULL:
      return write ? "WriteENOSPC" : "SyncENOSPC";
    default:
      return write ? "WriteEIO" : "SyncEIO";
  }
}

INSTANTIATE_TEST_SUITE_P(Faults, SqliteFaultTest,
                         ::testing::Values(std::make_tuple(FaultOp::kWrite, SQLITE_FULL),
                                           std::make_tuple(FaultOp::kWrite, SQLITE_IOERR_WRITE),
                                           std::make_tuple(FaultOp::kSync, SQLITE_IOERR_FSYNC)),
                         FaultName);

}  // namespace
}  // namespace flowsync
