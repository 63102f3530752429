// Empty on purpose: SwiftPM builds a C target only from a source file, and this target only declares functions that
// SQLiteNIO's vendored SQLite defines (see include/CFathomSQLite.h).
#include "CFathomSQLite.h"
