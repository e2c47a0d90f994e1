module github.com/kubelogin/kubelogin/acceptance_test

go 1.26

require (
	github.com/chromedp/chromedp v0.23.0
	github.com/creack/pty v1.1.24
)

require (
	github.com/chromedp/cdproto v0.159.0 // indirect
	github.com/go-json-experiment/json v0.0.0-20260213210345-44df1a37e875 // indirect
)
