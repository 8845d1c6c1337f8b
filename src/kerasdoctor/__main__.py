from kerasdoctor.cli import main

raise SystemExit(main())
