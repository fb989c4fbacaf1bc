"""A local Spark session for Splink's Spark backend (national scale runs on a cluster; tests use local mode)."""

from __future__ import annotations

from typing import Any


def local_session(cores: int = 2) -> Any:
    """Spark in local mode, quiet, with few shuffle partitions (Splink's defaults suit clusters)."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:  # pyspark is an optional extra: pip install 'sotiem[spark]'
        raise RuntimeError("the Spark engine needs pyspark (pip install 'sotiem[spark]') and a Java runtime") from exc
    session = (SparkSession.builder.master(f"local[{cores}]").appName("sotiem-linkage")
               .config("spark.sql.shuffle.partitions", "8").config("spark.ui.enabled", "false")
               .config("spark.driver.memory", "2g").getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    return session
