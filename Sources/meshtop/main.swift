import FrontendCLI

MeshtopCommand.main()
