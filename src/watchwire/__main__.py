from watchwire.cli import main

raise SystemExit(main())
