"""The AWS Glue job's script: build-features on Glue's Spark (docs/adr/0024-managed-spark.md).

`make spark-run` uploads it next to the project's wheels, which Glue installs before it runs
this script (--additional-python-modules); the arguments are Glue's (features.glue).
"""

import sys

from features.glue import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
