import sys

from sksegment.cli import main

sys.exit(main())
