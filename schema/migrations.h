// The site database's migrations, embedded from schema/site/NNNN_name.sql at build time.
#pragma once

#include <span>

#include "sync/db/migrate.h"

namespace mpp::schema {

// In version order, contiguous from 1.
std::span<const db::Migration> SiteMigrations();

}  // namespace mpp::schema
