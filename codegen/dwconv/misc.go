package main

func genMisc() {}

func miscTable() string { return "" }
