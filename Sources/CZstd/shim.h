#ifndef ANNALS_CZSTD_SHIM_H
#define ANNALS_CZSTD_SHIM_H
#include <zstd.h>
#include <zdict.h>
#include <zstd_errors.h>
#endif
