#include "plugin/build_hooks.hpp"

namespace kiln {

namespace {
thread_local BuildHooks* g_active = nullptr;
}  // namespace

ScopedBuildHooks::ScopedBuildHooks(BuildHooks& hooks) : previous_(g_active) { g_active = &hooks; }
ScopedBuildHooks::~ScopedBuildHooks() { g_active = previous_; }

BuildHooks* active_build_hooks() { return g_active; }

}  // namespace kiln
