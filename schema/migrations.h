// The database's migrations (one schema for sites and the centre), embedded from
// schema/migrations/NNNN_name.sql at build time.
#pragma once

#include <span>
#include <string_view>

#include "sync/db/migrate.h"

namespace mpp::schema {

// In version order, contiguous from 1.
std::span<const db::Migration> Migrations();

// schema/merge_rules.json: the merge rule of every replicated table.
std::string_view MergeRulesJson();

}  // namespace mpp::schema
