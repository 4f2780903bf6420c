from fusionbench.cli import entry

entry()
