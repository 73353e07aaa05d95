#include "n8n/n8n_ids.h"

#include <gtest/gtest.h>

namespace flowsync::n8n {
namespace {

TEST(N8nIds, WhatN8nCanKeep) {
  EXPECT_TRUE(IsN8nId("Ca11erWorkflow01"));
  EXPECT_TRUE(IsN8nId("17"));
  EXPECT_TRUE(IsN8nId(std::string(36, 'a')));
  EXPECT_FALSE(IsN8nId(""));
  EXPECT_FALSE(IsN8nId(std::string(37, 'a')));
  EXPECT_FALSE(IsN8nId("hello-flow"));
  EXPECT_FALSE(IsN8nId("credential-id"));
  EXPECT_FALSE(IsN8nId("caf\xc3\xa9"));
}

TEST(N8nIds, DerivedFromTheStableIdAlwaysTheSame) {
  // Known answers: changing them would give every synced workflow a new id
  // in n8n, and duplicates.
  EXPECT_EQ(N8nIdFromUuid("b7981568-f6df-5285-af5d-45c0b3edc602"), "YmIXimPuLJ5OH6xR");
  EXPECT_EQ(N8nIdFromUuid("00000000-0000-0000-0000-000000000000"), "a000000000000000");
  EXPECT_EQ(N8nTagId("demo"), N8nTagId("demo"));
  EXPECT_NE(N8nTagId("demo"), N8nTagId("Demo"));
  for (std::string_view uuid :
       {"ffffffff-ffff-ffff-ffff-ffffffffffff", "12345678-9abc-4def-8123-456789abcdef"}) {
    std::string id = N8nIdFromUuid(uuid);
    EXPECT_EQ(id.size(), 16u);
    EXPECT_TRUE(IsN8nId(id)) << id;
    EXPECT_NE(id.find_first_not_of("0123456789"), std::string::npos) << id;
  }
}

}  // namespace
}  // namespace flowsync::n8n
