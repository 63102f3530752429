// Declarations of the few SQLite C functions Fathom's own reader connections call.
//
// They are resolved at link time against the SQLite that SQLiteNIO already compiles into the binary (its vendored
// copy, whose symbols carry the `sqlite_nio_` prefix). Fathom never links a second SQLite: two copies in one process
// would each keep their own table of POSIX locks on the same file, and one copy's close would drop the other's locks.
// Written from SQLite's documented C interface; only what the readers use.
#ifndef CFATHOM_SQLITE_H
#define CFATHOM_SQLITE_H

typedef struct sqlite3 sqlite3;
typedef struct sqlite3_stmt sqlite3_stmt;
typedef long long fathom_sqlite3_int64;
typedef unsigned long long fathom_sqlite3_uint64;
typedef void (*fathom_sqlite3_destructor)(void *);

// Result codes.
#define FATHOM_SQLITE_OK 0
#define FATHOM_SQLITE_NOMEM 7
#define FATHOM_SQLITE_ROW 100
#define FATHOM_SQLITE_DONE 101

// Storage classes of a cell.
#define FATHOM_SQLITE_INTEGER 1
#define FATHOM_SQLITE_FLOAT 2
#define FATHOM_SQLITE_TEXT 3
#define FATHOM_SQLITE_BLOB 4
#define FATHOM_SQLITE_NULL 5

// Flags of open_v2 (the ones SQLiteNIO's connections are opened with).
#define FATHOM_SQLITE_OPEN_READWRITE 0x00000002
#define FATHOM_SQLITE_OPEN_CREATE 0x00000004
#define FATHOM_SQLITE_OPEN_URI 0x00000040
#define FATHOM_SQLITE_OPEN_FULLMUTEX 0x00010000
#define FATHOM_SQLITE_OPEN_EXRESCODE 0x02000000

// prepare_v3: the statement is kept and reused many times.
#define FATHOM_SQLITE_PREPARE_PERSISTENT 0x01
// stmt_status: how many times SQLite prepared the statement again after a schema change.
#define FATHOM_SQLITE_STMTSTATUS_REPREPARE 5
// Text encoding for bind_text64.
#define FATHOM_SQLITE_UTF8 1

int sqlite_nio_sqlite3_open_v2(const char *filename, sqlite3 **db, int flags, const char *vfs);
int sqlite_nio_sqlite3_close_v2(sqlite3 *db);
int sqlite_nio_sqlite3_exec(sqlite3 *db, const char *sql, int (*callback)(void *, int, char **, char **), void *argument,
                            char **error);
const char *sqlite_nio_sqlite3_errmsg(sqlite3 *db);
const char *sqlite_nio_sqlite3_errstr(int code);
int sqlite_nio_sqlite3_extended_errcode(sqlite3 *db);

int sqlite_nio_sqlite3_prepare_v3(sqlite3 *db, const char *sql, int bytes, unsigned int flags, sqlite3_stmt **statement,
                                  const char **tail);
int sqlite_nio_sqlite3_step(sqlite3_stmt *statement);
int sqlite_nio_sqlite3_reset(sqlite3_stmt *statement);
int sqlite_nio_sqlite3_clear_bindings(sqlite3_stmt *statement);
int sqlite_nio_sqlite3_finalize(sqlite3_stmt *statement);
int sqlite_nio_sqlite3_stmt_readonly(sqlite3_stmt *statement);
int sqlite_nio_sqlite3_stmt_status(sqlite3_stmt *statement, int counter, int reset);

int sqlite_nio_sqlite3_bind_null(sqlite3_stmt *statement, int index);
int sqlite_nio_sqlite3_bind_int64(sqlite3_stmt *statement, int index, fathom_sqlite3_int64 value);
int sqlite_nio_sqlite3_bind_double(sqlite3_stmt *statement, int index, double value);
int sqlite_nio_sqlite3_bind_text64(sqlite3_stmt *statement, int index, const char *text, fathom_sqlite3_uint64 bytes,
                                   fathom_sqlite3_destructor destructor, unsigned char encoding);
int sqlite_nio_sqlite3_bind_blob64(sqlite3_stmt *statement, int index, const void *bytes, fathom_sqlite3_uint64 count,
                                   fathom_sqlite3_destructor destructor);

int sqlite_nio_sqlite3_column_count(sqlite3_stmt *statement);
const char *sqlite_nio_sqlite3_column_name(sqlite3_stmt *statement, int column);
int sqlite_nio_sqlite3_column_type(sqlite3_stmt *statement, int column);
fathom_sqlite3_int64 sqlite_nio_sqlite3_column_int64(sqlite3_stmt *statement, int column);
double sqlite_nio_sqlite3_column_double(sqlite3_stmt *statement, int column);
const unsigned char *sqlite_nio_sqlite3_column_text(sqlite3_stmt *statement, int column);
const void *sqlite_nio_sqlite3_column_blob(sqlite3_stmt *statement, int column);
int sqlite_nio_sqlite3_column_bytes(sqlite3_stmt *statement, int column);

// SQLite's "copy the bytes now" destructor: the bound buffer may go away once the bind returns.
static inline fathom_sqlite3_destructor fathom_sqlite3_transient(void) { return (fathom_sqlite3_destructor)-1; }

#endif
