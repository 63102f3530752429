// vcsim: a vCenter simulator (govmomi's, from Debian's packages) on a fixed loopback address.
// It serves the vSphere SOAP API at /sdk and the vAPI REST endpoints that govmomi simulates at /rest.
// Login: any non-empty user and password, or exactly -user/-pass when given (so a wrong password is refused).
//
// Vendored from ../shared/tools/vcsim for Fathom's collector tests (CI has only this repository), with two
// additions: -user/-pass, and a paging shim. Debian's govmomi (0.24) ignores RetrievePropertiesEx's
// options.maxObjects and has no ContinueRetrievePropertiesEx; the shim pages the simulator's answer the way vCenter
// does (at most maxObjects objects per answer, a token while more remain) so a client's paging is exercised.
// And guest addresses: the simulator's VMs report none, so each VM gets known ones (see addresses).
package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"flag"
	"fmt"
	"log"
	"math/big"
	"net"
	"net/url"
	"os"
	"os/signal"
	"syscall"
	"time"

	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/vmware/govmomi/vim25/types"

	"github.com/vmware/govmomi/simulator"
	_ "github.com/vmware/govmomi/vapi/simulator"
)

func main() {
	listen := flag.String("l", "127.0.0.1:8989", "address to listen on (loopback only)")
	dc := flag.Int("dc", 1, "datacenters")
	cluster := flag.Int("cluster", 1, "clusters per datacenter")
	clusterHost := flag.Int("ch", 3, "hosts per cluster")
	host := flag.Int("host", 1, "standalone hosts per datacenter")
	vm := flag.Int("vm", 2, "virtual machines per resource pool / host")
	useTLS := flag.Bool("tls", false, "serve HTTPS with a self-signed certificate (its PEM path is printed as VCSIM_CA)")
	user := flag.String("user", "", "the only user name Login accepts (with -pass)")
	pass := flag.String("pass", "", "the only password Login accepts (with -user)")
	flag.Parse()

	model := simulator.VPX()
	model.Datacenter = *dc
	model.Cluster = *cluster
	model.ClusterHost = *clusterHost
	model.Host = *host
	model.Machine = *vm
	if err := model.Create(); err != nil {
		log.Fatal(err)
	}
	addresses()
	model.Service.Listen = &url.URL{Host: *listen}
	if *user != "" {
		model.Service.Listen.User = url.UserPassword(*user, *pass)
	}
	model.Service.RegisterEndpoints = true
	if *useTLS {
		model.Service.TLS = &tls.Config{Certificates: []tls.Certificate{selfSigned()}}
	}
	s := model.Service.NewServer()
	// Swapped before the first request is printed for, so no request sees the old handler.
	s.Server.Config.Handler = pager(s.Server.Config.Handler)
	fmt.Printf("VCSIM_URL=%s\n", s.URL.String())
	if *useTLS {
		ca, err := s.CertificateFile()
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("VCSIM_CA=%s\n", ca)
	}
	os.Stdout.Sync()

	c := make(chan os.Signal, 1)
	signal.Notify(c, os.Interrupt, syscall.SIGTERM)
	<-c
	s.Close()
	model.Remove()
}

// selfSigned makes an ECDSA P-256 certificate for 127.0.0.1, ::1 and localhost (the Go test certificate is
// RSA-1024, which current TLS stacks refuse as too weak).
func selfSigned() tls.Certificate {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		log.Fatal(err)
	}
	tmpl := x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: "vcsim"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("::1")},
	}
	der, err := x509.CreateCertificate(rand.Reader, &tmpl, &tmpl, &key.PublicKey, key)
	if err != nil {
		log.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

var (
	maxObjectsRe = regexp.MustCompile(`<maxObjects>(\d+)</maxObjects>`)
	tokenRe      = regexp.MustCompile(`<token>([^<]*)</token>`)
	objectsRe    = regexp.MustCompile(`(?s)<objects>.*?</objects>`)
)

// pager splits RetrievePropertiesEx answers into pages of maxObjects objects and serves the rest through
// ContinueRetrievePropertiesEx tokens.
func pager(next http.Handler) http.Handler {
	var mu sync.Mutex
	pending := map[string][][]byte{}
	seq := 0
	page := func(w http.ResponseWriter, method string, objs [][]byte, token string) {
		var b bytes.Buffer
		b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body>`)
		b.WriteString("<" + method + "Response xmlns=\"urn:vim25\"><returnval>")
		if token != "" {
			b.WriteString("<token>" + token + "</token>")
		}
		for _, o := range objs {
			b.Write(o)
		}
		b.WriteString("</returnval></" + method + "Response></soapenv:Body></soapenv:Envelope>")
		w.Header().Set("Content-Type", "text/xml; charset=utf-8")
		w.Write(b.Bytes())
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			next.ServeHTTP(w, r)
			return
		}
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		if bytes.Contains(body, []byte("ContinueRetrievePropertiesEx")) {
			m := tokenRe.FindSubmatch(body)
			mu.Lock()
			var rest [][]byte
			var ok bool
			if m != nil {
				rest, ok = pending[string(m[1])]
				delete(pending, string(m[1]))
			}
			if !ok {
				mu.Unlock()
				w.Header().Set("Content-Type", "text/xml; charset=utf-8")
				w.WriteHeader(http.StatusInternalServerError)
				w.Write([]byte(`<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><soapenv:Fault><faultcode>ServerFaultCode</faultcode><faultstring>unknown token</faultstring><detail><InvalidArgumentFault xmlns="urn:vim25" xsi:type="InvalidArgument"><invalidProperty>token</invalidProperty></InvalidArgumentFault></detail></soapenv:Fault></soapenv:Body></soapenv:Envelope>`))
				return
			}
			n, _ := strconv.Atoi(string(rest[0]))
			objs := rest[1:]
			token := ""
			if len(objs) > n {
				seq++
				token = strconv.Itoa(seq)
				pending[token] = append([][]byte{rest[0]}, objs[n:]...)
				objs = objs[:n]
			}
			mu.Unlock()
			page(w, "ContinueRetrievePropertiesEx", objs, token)
			return
		}
		m := maxObjectsRe.FindSubmatch(body)
		if m == nil || !bytes.Contains(body, []byte("RetrievePropertiesEx")) {
			next.ServeHTTP(w, r)
			return
		}
		n, _ := strconv.Atoi(string(m[1]))
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		objs := objectsRe.FindAll(rec.Body.Bytes(), -1)
		if rec.Code != http.StatusOK || n <= 0 || len(objs) <= n {
			for k, v := range rec.Header() {
				w.Header()[k] = v
			}
			w.WriteHeader(rec.Code)
			w.Write(rec.Body.Bytes())
			return
		}
		mu.Lock()
		seq++
		token := strconv.Itoa(seq)
		pending[token] = append([][]byte{m[1]}, objs[n:]...)
		mu.Unlock()
		page(w, "RetrievePropertiesEx", objs[:n], token)
	})
}

// addresses gives the i-th VM by name 10.<i/250>.<i%250+1>.10 and fd00::<i+1> on its first NIC, and guest host
// name <lower-case name>.lab — values a collector's test can check.
func addresses() {
	entities := simulator.Map.All("VirtualMachine")
	sort.Slice(entities, func(a, b int) bool { return entities[a].Entity().Name < entities[b].Entity().Name })
	for i, e := range entities {
		vm := e.(*simulator.VirtualMachine)
		v4 := fmt.Sprintf("10.%d.%d.10", i/250, i%250+1)
		vm.Guest.IpAddress = v4
		vm.Guest.HostName = strings.ToLower(vm.Name) + ".lab"
		if len(vm.Guest.Net) == 0 {
			vm.Guest.Net = []types.GuestNicInfo{{MacAddress: fmt.Sprintf("00:50:56:00:%02x:%02x", i/256, i%256), Connected: true}}
		}
		vm.Guest.Net[0].IpAddress = []string{v4, fmt.Sprintf("fd00::%x", i+1)}
	}
}
