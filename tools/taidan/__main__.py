from taidan.cli import main

raise SystemExit(main())
