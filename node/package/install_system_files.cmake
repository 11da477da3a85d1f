# Runs at install time, when the prefix is known. With the prefix /usr (the package) the units
# go to /lib/systemd/system and the configuration to /etc; with any other prefix P, to
# P/lib/systemd/system and P/etc, and the units' /usr/bin, /usr/share and /etc paths become
# P's. A configuration file already there is kept: it is the administrator's.
# Set by the install(CODE) before it: MPP_UNITS (unit files), MPP_CONFIGS (pairs of a source
# file and its path under etc), MPP_WORK_DIR (scratch).
if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  set(unit_dir /lib/systemd/system)
  set(etc_dir /etc)
else()
  set(unit_dir ${CMAKE_INSTALL_PREFIX}/lib/systemd/system)
  set(etc_dir ${CMAKE_INSTALL_PREFIX}/etc)
endif()

foreach(unit IN LISTS MPP_UNITS)
  file(READ ${unit} text)
  if(NOT CMAKE_INSTALL_PREFIX STREQUAL "/usr")
    string(REPLACE "/usr/bin/" "${CMAKE_INSTALL_PREFIX}/bin/" text "${text}")
    string(REPLACE "/usr/share/" "${CMAKE_INSTALL_PREFIX}/share/" text "${text}")
    string(REPLACE "/etc/" "${etc_dir}/" text "${text}")
  endif()
  get_filename_component(name ${unit} NAME)
  file(WRITE ${MPP_WORK_DIR}/${name} "${text}")
  file(INSTALL ${MPP_WORK_DIR}/${name} DESTINATION ${unit_dir}
       PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
endforeach()

set(configs ${MPP_CONFIGS})
while(configs)
  list(POP_FRONT configs source target)
  get_filename_component(target_dir ${etc_dir}/${target} DIRECTORY)
  get_filename_component(target_name ${target} NAME)
  if(EXISTS "$ENV{DESTDIR}${etc_dir}/${target}")
    message(STATUS "Kept: $ENV{DESTDIR}${etc_dir}/${target} (the example is ${source})")
  else()
    file(INSTALL ${source} DESTINATION ${target_dir} RENAME ${target_name}
         PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
  endif()
endwhile()
