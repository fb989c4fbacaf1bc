"""A local Spark session for Splink's Spark backend (national scale runs on a cluster; tests use local mode)."""

from __future__ import annotations

import tempfile
from typing import Any


def local_session(cores: int = 2) -> Any:
    """Spark in local mode, quiet, with few shuffle partitions (Splink's defaults suit clusters)."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:  # pyspark is an optional extra: pip install 'sotiem[spark]'
        raise RuntimeError(
            "the Spark engine needs pyspark (pip install 'sotiem[spark]') and a Java runtime"
        ) from exc
    from splink.backends.spark import similarity_jar_location

    session = (
        SparkSession.builder.master(f"local[{cores}]")
        .appName("sotiem-linkage")
        .config("spark.jars", similarity_jar_location())
        .config("spark.sql.shuffle.partitions", "8")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.memory", "2g")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    session.sparkContext.setCheckpointDir(
        tempfile.mkdtemp(prefix="sotiem-spark-")
    )  # Splink checkpoints stages
    return session


_STRINGS = [
    "unique_id",
    "name",
    "key",
    "core",
    "folded",
    "given",
    "prec",
    "ym",
    "sex",
    "commune",
    "province",
    "cccd",
    "cmnd",
    "passport",
    "block",
    "birth_block",
]
_LONGS = ["dn", "yr", "md", "swap_dn"]


def spark_frame(session: Any, rows: list[dict[str, Any]]) -> Any:
    """The feature rows (`matching.feature_row`) as a Spark DataFrame with an explicit schema (no inference)."""
    from pyspark.sql.types import ArrayType, LongType, StringType, StructField, StructType

    schema = StructType(
        [StructField(c, StringType()) for c in _STRINGS]
        + [StructField(c, LongType()) for c in _LONGS]
        + [StructField("phones", ArrayType(StringType()))]
    )
    order = [*_STRINGS, *_LONGS, "phones"]
    data = [tuple(str(row[c]) if c == "unique_id" else row[c] for c in order) for row in rows]
    return session.createDataFrame(data, schema=schema)
