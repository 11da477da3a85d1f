// The citizen's NIK (Nomor Induk Kependudukan), personal data under UU PDP 27/2022.
//
// A NIK never leaves the site in clear. Records that sync carry only the citizen reference:
// HMAC-SHA256 of the NIK under the national matching key (one key, distributed by the
// ministry to every site and never to the centre's database), as 64 hex digits. The same
// citizen gets the same reference at every MPP, so the centre can count repeat visits without
// being able to recover the NIK; without the key, a dictionary over the ~10^16 NIK space is
// useless.
#pragma once

#include <string>
#include <string_view>

#include "sync/core/result.h"

namespace mpp {

// Checks the form of a NIK: 16 digits; province code 11–94; a birth day 01–31 (41–71 for
// women) and month 01–12 in digits 7–10; serial not 0000. kInvalidValue otherwise. The
// message never repeats the NIK.
Status ValidateNik(std::string_view nik);

// HMAC-SHA256(key, nik) as lowercase hex. Precondition: key is not empty.
std::string CitizenRef(std::string_view key, std::string_view nik);

}  // namespace mpp
