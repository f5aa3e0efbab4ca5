"""What AWS offers, as the provider asks for it at plan: moto 5.2.5 lacks
`DescribeDBEngineVersions` and `DescribeCacheEngineVersions`, and answers
`DescribeOrderableDBInstanceOptions` only for Aurora PostgreSQL and Neptune
(an empty list for `postgres`, and it ignores `DBInstanceClass`).

The catalogue below is RDS's and ElastiCache's as published (RDS for
PostgreSQL release notes: the minor versions of 13 to 17 in standard
support in 2025, e.g. 16.1 to 16.9 and 17.1 to 17.5; the instance classes
RDS for PostgreSQL offers: burstable db.t3/db.t4g micro to 2xlarge,
general-purpose db.m5/db.m6g/db.m6i/db.m7g, memory-optimized
db.r5/db.r6g/db.r6i/db.r7g; ElastiCache for Redis 4.0.10, 5.0.x, 6.0.5,
6.2.6, 7.0.7, 7.1.0). It is a fixed list, so a test's expectations do not
depend on what AWS adds next. `DescribeInstanceTypeOfferings` needs no
extension: moto answers it from AWS's own per-zone data (us-east-1e, for
one, offers no t3 types).

Listed in ../README.md ("Where the emulator falls short").
"""

POSTGRES_VERSIONS = {
    "13": [15, 16, 18, 20, 21],
    "14": [12, 13, 15, 17, 18],
    "15": [7, 8, 10, 12, 13],
    "16": [3, 4, 6, 8, 9],
    "17": [1, 2, 4, 5],
}

SIZES = {
    "t3": ["micro", "small", "medium", "large", "xlarge", "2xlarge"],
    "t4g": ["micro", "small", "medium", "large", "xlarge", "2xlarge"],
    "m5": ["large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge"],
    "m6g": ["large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge"],
    "m6i": ["large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge", "32xlarge"],
    "m7g": ["large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge"],
    "r5": ["large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge"],
    "r6g": ["large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge"],
    "r6i": ["large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge", "32xlarge"],
    "r7g": ["large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge"],
}

# Graviton classes came to RDS for PostgreSQL with these majors.
FAMILY_SINCE = {"m7g": 14, "r7g": 14}

STORAGE_TYPES = ["gp2", "gp3", "io1"]

REDIS_VERSIONS = ["4.0.10", "5.0.0", "5.0.3", "5.0.4", "5.0.5", "5.0.6", "6.0.5", "6.2.6", "7.0.7", "7.1.0"]


def postgres_versions():
    return [f"{major}.{minor}" for major, minors in POSTGRES_VERSIONS.items() for minor in minors]


def postgres_classes(version):
    major = int(version.split(".")[0])
    return [
        f"db.{family}.{size}"
        for family, sizes in SIZES.items()
        if major >= FAMILY_SINCE.get(family, 0)
        for size in sizes
    ]


def version_matches(wanted, version):
    return not wanted or version == wanted or version.startswith(wanted + ".")


def engine_version_record(version):
    major = version.split(".")[0]
    newer = [v for v in postgres_versions() if tuple(map(int, v.split("."))) > tuple(map(int, version.split(".")))]
    return {
        "Engine": "postgres",
        "EngineVersion": version,
        "MajorEngineVersion": major,
        "DBParameterGroupFamily": f"postgres{major}",
        "DBEngineDescription": "PostgreSQL",
        "DBEngineVersionDescription": f"PostgreSQL {version}-R1",
        "Status": "available",
        "SupportsReadReplica": True,
        "SupportsLogExportsToCloudwatchLogs": True,
        "ExportableLogTypes": ["postgresql", "upgrade"],
        "ValidUpgradeTarget": [
            {
                "Engine": "postgres",
                "EngineVersion": v,
                "IsMajorVersionUpgrade": v.split(".")[0] != major,
                "AutoUpgrade": False,
            }
            for v in newer
        ],
    }


def orderable_records(version, zones):
    return [
        {
            "Engine": "postgres",
            "EngineVersion": version,
            "DBInstanceClass": db_class,
            "LicenseModel": "postgresql-license",
            "AvailabilityZones": [{"Name": z} for z in zones],
            "MultiAZCapable": True,
            "ReadReplicaCapable": True,
            "Vpc": True,
            "SupportsStorageEncryption": True,
            "StorageType": storage,
            "SupportsIops": storage != "gp2",
            "SupportsStorageAutoscaling": True,
            "MinStorageSize": 20,
            "MaxStorageSize": 65536,
            "SupportedNetworkTypes": ["IPV4", "DUAL"],
        }
        for db_class in postgres_classes(version)
        for storage in STORAGE_TYPES
    ]


def apply():
    from moto.core.responses import ActionResult, PaginatedResult
    from moto.elasticache.responses import ElastiCacheResponse
    from moto.rds.responses import RDSResponse

    def describe_db_engine_versions(self):
        engine = self._get_param("Engine")
        wanted = self._get_param("EngineVersion")
        versions = []
        if engine in (None, "postgres"):
            versions = [engine_version_record(v) for v in postgres_versions() if version_matches(wanted, v)]
        return ActionResult({"DBEngineVersions": versions})

    RDSResponse.describe_db_engine_versions = describe_db_engine_versions

    original_orderable = RDSResponse.describe_orderable_db_instance_options

    def describe_orderable_db_instance_options(self):
        engine = self._get_param("Engine")
        if engine != "postgres":
            return original_orderable(self)
        wanted = self._get_param("EngineVersion")
        db_class = self._get_param("DBInstanceClass")
        zones = [f"{self.region}{z}" for z in "abcdef"]
        options = [
            option
            for version in postgres_versions()
            if version_matches(wanted, version)
            for option in orderable_records(version, zones)
            if not db_class or option["DBInstanceClass"] == db_class
        ]
        return PaginatedResult({"OrderableDBInstanceOptions": options})

    RDSResponse.describe_orderable_db_instance_options = describe_orderable_db_instance_options

    def describe_cache_engine_versions(self):
        engine = self._get_param("Engine")
        wanted = self._get_param("EngineVersion")
        versions = []
        if engine in (None, "redis"):
            for version in REDIS_VERSIONS:
                if not version_matches(wanted, version):
                    continue
                major, minor = version.split(".")[:2]
                family = f"redis{major}.x" if int(major) >= 6 else f"redis{major}.{minor}"
                versions.append(
                    {
                        "Engine": "redis",
                        "EngineVersion": version,
                        "CacheParameterGroupFamily": family,
                        "CacheEngineDescription": "Redis",
                        "CacheEngineVersionDescription": f"redis version {version}",
                    }
                )
        return ActionResult({"CacheEngineVersions": versions})

    ElastiCacheResponse.describe_cache_engine_versions = describe_cache_engine_versions
