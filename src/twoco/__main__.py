from twoco.cli import main

raise SystemExit(main())
