#!/usr/bin/env python3
"""Train ALS and FP-growth on Spark and write what `recsys-build import`
reads: three directories of JSON Lines (DataFrame.write.json), each with
its part-* files and _SUCCESS.

    spark-submit recsys_spark_job.py --interactions ratings.csv --out OUT \
        [--top 100] [--similar 50] [--rank 32] [--gzip]

    OUT/als      ALSModel.recommendForAllUsers(top):
                 {"user":1,"recommendations":[{"item":10,"rating":4.2},...]}
    OUT/similar  per item its nearest items by the cosine of ALS's item
                 factors: {"item":10,"similar":[{"item":42,"score":0.93},...]}
    OUT/rules    FPGrowthModel.associationRules over each user's items:
                 {"antecedent":[10],"consequent":[42],"confidence":0.61,
                  "lift":2.3,"support":0.02}

The interactions are CSV with a header: user,item[,rating[,timestamp]];
ALS needs integer ids, so user and item must be whole numbers (MovieLens
ratings.csv is). Then:

    recsys-build import --model model.mdb --out model-spark.mdb \
        --users spark_als=OUT/als --items spark_als=OUT/similar \
        --rules spark_rules=OUT/rules

This job was written against the Spark 3.5 documentation and has not been
run here (see README.md).
"""

import argparse

from pyspark.ml.fpm import FPGrowth
from pyspark.ml.recommendation import ALS
from pyspark.sql import SparkSession, Window
from pyspark.sql import functions as F


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--interactions", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--top", type=int, default=100)
    p.add_argument("--similar", type=int, default=50)
    p.add_argument("--rank", type=int, default=32)
    p.add_argument("--iterations", type=int, default=10)
    p.add_argument("--reg", type=float, default=0.05)
    p.add_argument("--implicit", action="store_true")
    p.add_argument("--min-support", type=float, default=0.01)
    p.add_argument("--min-confidence", type=float, default=0.3)
    p.add_argument("--gzip", action="store_true",
                   help="write part-*.json.gz")
    return p.parse_args()


def write(df, path, gzip):
    w = df.write.mode("overwrite")
    if gzip:
        w = w.option("compression", "gzip")
    w.json(path)


def main():
    a = parse_args()
    spark = SparkSession.builder.appName("recsys-spark-job").getOrCreate()

    raw = spark.read.option("header", True).csv(a.interactions)
    cols = raw.columns
    log = raw.select(
        F.col(cols[0]).cast("int").alias("user"),
        F.col(cols[1]).cast("int").alias("item"),
        (F.col(cols[2]).cast("float") if len(cols) > 2
         else F.lit(1.0)).alias("rating"))
    log = log.dropna().cache()

    als = ALS(userCol="user", itemCol="item", ratingCol="rating",
              rank=a.rank, maxIter=a.iterations, regParam=a.reg,
              implicitPrefs=a.implicit, coldStartStrategy="drop", seed=1)
    model = als.fit(log)

    # user lists: (user, recommendations: [{item, rating}])
    write(model.recommendForAllUsers(a.top), a.out + "/als", a.gzip)

    # item lists: the cosine of the item factors, the best a.similar each
    f = model.itemFactors.select(
        F.col("id").alias("item"),
        F.expr("transform(features, x -> x / sqrt(aggregate(features, "
               "0D, (s, y) -> s + y * y)))").alias("v"))
    pairs = (f.alias("a").crossJoin(f.alias("b"))
             .where(F.col("a.item") != F.col("b.item"))
             .select(F.col("a.item").alias("item"),
                     F.col("b.item").alias("other"),
                     F.expr("aggregate(zip_with(a.v, b.v, (x, y) -> x * y),"
                            " 0D, (s, z) -> s + z)").alias("score")))
    rank = Window.partitionBy("item").orderBy(F.col("score").desc(),
                                              F.col("other"))
    best = (pairs.withColumn("r", F.row_number().over(rank))
            .where(F.col("r") <= a.similar))
    similar = best.groupBy("item").agg(
        F.expr("transform(array_sort(collect_list(struct(r, other, score))),"
               " e -> named_struct('item', e.other, 'score', e.score))")
        .alias("similar"))
    write(similar, a.out + "/similar", a.gzip)

    # association rules over each user's set of items
    baskets = log.groupBy("user").agg(F.collect_set("item").alias("items"))
    fp = FPGrowth(itemsCol="items", minSupport=a.min_support,
                  minConfidence=a.min_confidence).fit(baskets)
    write(fp.associationRules, a.out + "/rules", a.gzip)

    spark.stop()


if __name__ == "__main__":
    main()
