import sys

from crbot.cli import main

sys.exit(main())
