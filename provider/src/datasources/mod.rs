//! Data sources: one file each.

pub mod availability_zones;
