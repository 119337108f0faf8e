#ifndef ANNALS_CSQLITE_SHIM_H
#define ANNALS_CSQLITE_SHIM_H
#include <sqlite3.h>
#endif
