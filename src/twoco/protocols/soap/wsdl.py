"""The WSDL 1.1 document, generated from the operation registry and the model.

2Checkout's identity is kept (targetNamespace ``urn:order``, ``AvangateAPIPortType``,
``AvangateAPIBinding``, ``AvangateService``, ``AvangateAPIPort``), in rpc style with
SOAP-encoded bodies. Every element is optional and nillable, so a client may leave a
field out (it keeps its value on update) or send it as nil (it is cleared).
"""

from __future__ import annotations

from functools import cache
from xml.sax.saxutils import quoteattr

from twoco.core.schema import Array, Scalar, Struct, WireType, declared_types
from twoco.domains import REGISTRY

SOAP_ENCODING = "http://schemas.xmlsoap.org/soap/encoding/"
SCHEMA_PATH = "/soap/soap-encoding.xsd"

# The part of the SOAP 1.1 encoding schema that SOAP-encoded arrays use. The WSDL imports it
# from twoco itself, so that schema-reading clients (zeep, suds) work without Internet access.
SOAP_ENCODING_SCHEMA = f"""<?xml version="1.0" encoding="UTF-8"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="{SOAP_ENCODING}">
<xs:attribute name="arrayType" type="xs:string"/>
<xs:attribute name="offset" type="xs:string"/>
<xs:complexType name="Array"><xs:sequence>\
<xs:any namespace="##any" minOccurs="0" maxOccurs="unbounded" processContents="lax"/></xs:sequence>\
<xs:attribute name="id" type="xs:ID"/><xs:attribute name="href" type="xs:anyURI"/>\
<xs:anyAttribute namespace="##other" processContents="lax"/></xs:complexType>
</xs:schema>
""".encode()


def xml_type(wire_type: WireType) -> str:
    """The QName a WSDL or an xsi:type attribute names this type by."""
    if isinstance(wire_type, Scalar):
        return f"xsd:{wire_type.xsd}"
    return f"tns:{wire_type.name}"


def _struct_type(struct: Struct) -> str:
    elements = "".join(
        f'<xsd:element name="{f.name}" type="{xml_type(f.type)}" minOccurs="0" nillable="true"/>' for f in struct.fields
    )
    return f'<xsd:complexType name="{struct.name}"><xsd:sequence>{elements}</xsd:sequence></xsd:complexType>'


def _array_type(array: Array) -> str:
    return (
        f'<xsd:complexType name="{array.name}"><xsd:complexContent><xsd:restriction base="soapenc:Array">'
        f'<xsd:attribute ref="soapenc:arrayType" wsdl:arrayType="{xml_type(array.item)}[]"/>'
        "</xsd:restriction></xsd:complexContent></xsd:complexType>"
    )


@cache
def _template(version: str) -> str:
    operations = REGISTRY.operations_for(version).values()
    structs, arrays = declared_types([t for op in operations for t in (op.result, *(p.type for p in op.params))])
    types = "".join(map(_struct_type, structs)) + "".join(map(_array_type, arrays))
    body = f'<soap:body use="encoded" namespace="urn:order" encodingStyle="{SOAP_ENCODING}"/>'
    messages, port_ops, binding_ops = [], [], []
    for op in operations:
        parts = "".join(f'<part name="{p.name}" type="{xml_type(p.type)}"/>' for p in op.wire_params)
        messages.append(f'<message name="{op.name}Input">{parts}</message>')
        messages.append(f'<message name="{op.name}Output"><part name="return" type="{xml_type(op.result)}"/></message>')
        port_ops.append(
            f'<operation name="{op.name}"><input message="tns:{op.name}Input"/>'
            f'<output message="tns:{op.name}Output"/></operation>'
        )
        binding_ops.append(
            f'<operation name="{op.name}"><soap:operation soapAction="urn:order#{op.name}" style="rpc"/>'
            f"<input>{body}</input><output>{body}</output></operation>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<definitions xmlns="http://schemas.xmlsoap.org/wsdl/" xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/"'
        ' xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/" xmlns:soapenc="http://schemas.xmlsoap.org/soap/encoding/"'
        ' xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:tns="urn:order"'
        ' name="AvangateAPI" targetNamespace="urn:order">\n'
        '<types><xsd:schema targetNamespace="urn:order">'
        f'<xsd:import namespace="{SOAP_ENCODING}" schemaLocation=__SCHEMA_LOCATION__/>'
        f"{types}</xsd:schema></types>\n"
        + "\n".join(messages)
        + '\n<portType name="AvangateAPIPortType">'
        + "".join(port_ops)
        + '</portType>\n<binding name="AvangateAPIBinding" type="tns:AvangateAPIPortType">'
        '<soap:binding style="rpc" transport="http://schemas.xmlsoap.org/soap/http"/>'
        + "".join(binding_ops)
        + '</binding>\n<service name="AvangateService"><port name="AvangateAPIPort" binding="tns:AvangateAPIBinding">'
        "<soap:address location=__LOCATION__/></port></service>\n</definitions>\n"
    )


def wsdl_document(version: str, base_url: str) -> bytes:
    """The WSDL for ``version`` as served at ``base_url`` (scheme://host:port)."""
    return (
        _template(version)
        .replace("__LOCATION__", quoteattr(f"{base_url}/soap/{version}/"))
        .replace("__SCHEMA_LOCATION__", quoteattr(base_url + SCHEMA_PATH))
        .encode()
    )
